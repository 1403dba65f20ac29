using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace DynamoKad.Storage;

/// <summary>
/// An append-only log of framed records in preallocated segment files (<c>NNNNNNNNNN.wal</c>), with
/// group commit: every append that arrives while one write+fsync is in flight joins the next batch,
/// and the whole batch is acknowledged by one fsync. Recovery lives in <c>WriteAheadLog.Recovery.cs</c>,
/// the flusher in <c>WriteAheadLog.Flusher.cs</c>.
/// </summary>
internal sealed partial class WriteAheadLog : IAsyncDisposable
{
    private const string SegmentExtension = ".wal";
    private const int ZeroChunk = 1024 * 1024;

    private readonly string _directory;
    private readonly WalSettings _settings;
    private readonly TimeProvider _time;
    private readonly Action<long, List<IWalPayload>>? _onDurable;
    private readonly object _segmentsGate = new();
    private readonly List<SegmentInfo> _sealed = [];
    private SegmentInfo _active = null!;
    private Task<SegmentInfo>? _nextSegment;
    private long _nextSegmentNumber;

    private WriteAheadLog(string directory, WalSettings settings, TimeProvider time, Action<long, List<IWalPayload>>? onDurable)
    {
        _directory = directory;
        _settings = settings;
        _time = time;
        _onDurable = onDurable;
    }

    /// <summary>The highest LSN acknowledged as durable (0 before the first).</summary>
    public long DurableLsn => Volatile.Read(ref _durableLsn);

    /// <summary>The highest LSN handed out (0 before the first).</summary>
    public long LastAssignedLsn
    {
        get
        {
            lock (_gate)
            {
                return _nextLsn - 1;
            }
        }
    }

    /// <summary>Set once a write or fsync failed: the log refuses further appends (the data on disk can no longer be trusted).</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    public int SegmentCount
    {
        get
        {
            lock (_segmentsGate)
            {
                return _sealed.Count + 1;
            }
        }
    }

    public long Bytes
    {
        get
        {
            lock (_segmentsGate)
            {
                return _sealed.Sum(s => s.UsedBytes) + Volatile.Read(ref _active.UsedBytes);
            }
        }
    }

    /// <summary>
    /// Deletes the sealed segments whose every record has an LSN at or below <paramref name="lsn"/>
    /// (a checkpoint holds them). The active segment stays: appends continue there.
    /// </summary>
    public void TrimUpTo(long lsn)
    {
        List<SegmentInfo> doomed = [];
        lock (_segmentsGate)
        {
            while (_sealed.Count > 0 && _sealed[0].LastLsn <= lsn)
            {
                doomed.Add(_sealed[0]);
                _sealed.RemoveAt(0);
            }
        }

        foreach (var segment in doomed)
        {
            File.Delete(segment.Path);
        }

        if (doomed.Count > 0)
        {
            FileSync.SyncDirectory(_directory);
        }
    }

    private static string SegmentPath(string directory, long number) =>
        Path.Combine(directory, number.ToString("D10", CultureInfo.InvariantCulture) + SegmentExtension);

    /// <summary>
    /// Creates a segment filled with real zeros, off the ack path: writing into blocks that are already
    /// allocated and written lets fdatasync flush data alone, without the extent and size metadata
    /// that appending to a growing (or merely fallocated) file commits through the journal every time.
    /// </summary>
    private static SegmentInfo CreateSegment(string directory, long number, long size)
    {
        var path = SegmentPath(directory, number);
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            var zeros = new byte[(int)Math.Min(ZeroChunk, size)];
            for (long offset = 0; offset < size; offset += zeros.Length)
            {
                RandomAccess.Write(handle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, size - offset)), offset);
            }

            RandomAccess.FlushToDisk(handle);
            FileSync.SyncDirectory(directory);
            return new SegmentInfo(number, path) { Handle = handle };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private void StartNextSegment()
    {
        var number = _nextSegmentNumber++;
        _nextSegment = Task.Run(() => CreateSegment(_directory, number, _settings.SegmentSizeBytes));
    }

    /// <summary>A segment: its file, how much of it holds records, and the LSNs it covers.</summary>
    private sealed class SegmentInfo(long number, string path)
    {
        public long UsedBytes;

        public long Number { get; } = number;

        public string Path { get; } = path;

        public SafeFileHandle? Handle { get; set; }

        public long FirstLsn { get; set; }

        /// <summary>0 while the segment holds no record.</summary>
        public long LastLsn { get; set; }
    }
}
