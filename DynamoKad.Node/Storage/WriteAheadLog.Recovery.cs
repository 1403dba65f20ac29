using System.Globalization;

namespace DynamoKad.Storage;

internal sealed partial class WriteAheadLog
{
    /// <summary>
    /// Opens the log in <paramref name="directory"/>: replays every whole record in LSN order through
    /// <paramref name="replay"/>, stops at the first torn or corrupt one (or an LSN that does not follow),
    /// truncates the log there and deletes any later segment, then starts appending to a fresh segment.
    /// </summary>
    /// <param name="minNextLsn">The lowest LSN new records may take (one past what a checkpoint already holds).</param>
    /// <param name="replay">Called for each recovered record with its LSN and payload.</param>
    /// <param name="onDurable">Called on the flusher after each batch is durable, before its appends complete, with its first LSN and payloads in LSN order.</param>
    public static WriteAheadLog Open(
        string directory,
        WalSettings settings,
        long minNextLsn,
        WalReplay replay,
        Action<long, List<IWalPayload>>? onDurable = null,
        TimeProvider? time = null)
    {
        Directory.CreateDirectory(directory);
        var wal = new WriteAheadLog(directory, settings, time ?? TimeProvider.System, onDurable);
        var lastLsn = wal.Recover(replay);
        wal._nextLsn = Math.Max(lastLsn + 1, Math.Max(1, minNextLsn));
        wal._durableLsn = wal._nextLsn - 1;

        wal._active = CreateSegment(directory, wal._nextSegmentNumber++, settings.SegmentSizeBytes);
        wal.StartNextSegment();
        wal._lastSyncTimestamp = wal._time.GetTimestamp();
        wal.StartFlusher();
        return wal;
    }

    /// <summary>Returns the last LSN recovered (0 when none).</summary>
    private long Recover(WalReplay replay)
    {
        var segments = Directory.GetFiles(_directory, "*" + SegmentExtension)
            .Select(path => (Path: path, Ok: long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var n), Number: n))
            .Where(s => s.Ok)
            .OrderBy(s => s.Number)
            .ToList();

        long lastLsn = 0;
        var stopped = false;
        foreach (var (path, _, number) in segments)
        {
            _nextSegmentNumber = Math.Max(_nextSegmentNumber, number + 1);
            if (stopped)
            {
                // Everything after the first bad record goes: it follows a hole, so it was never acknowledged.
                File.Delete(path);
                continue;
            }

            var data = File.ReadAllBytes(path);
            var segment = new SegmentInfo(number, path);
            var offset = 0;
            while (WalFrame.TryRead(data.AsSpan(offset), out var lsn, out var length)
                && (lastLsn == 0 || lsn == lastLsn + 1))
            {
                replay(lsn, data.AsSpan(offset + WalFrame.HeaderSize, length));
                if (segment.FirstLsn == 0)
                {
                    segment.FirstLsn = lsn;
                }

                segment.LastLsn = lsn;
                lastLsn = lsn;
                offset += WalFrame.HeaderSize + length;
            }

            segment.UsedBytes = offset;
            if (data.AsSpan(offset).ContainsAnyExcept((byte)0))
            {
                // A torn or corrupt record: cut the file there so nothing behind it is ever read again.
                using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
                {
                    RandomAccess.SetLength(handle, offset);
                    RandomAccess.FlushToDisk(handle);
                }

                stopped = true;
            }

            if (segment.LastLsn == 0)
            {
                File.Delete(path);
            }
            else
            {
                _sealed.Add(segment);
            }
        }

        FileSync.SyncDirectory(_directory);
        return lastLsn;
    }
}

/// <summary>Receives one recovered WAL record.</summary>
internal delegate void WalReplay(long lsn, ReadOnlySpan<byte> payload);
