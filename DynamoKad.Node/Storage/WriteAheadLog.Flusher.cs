using System.Diagnostics;
using DynamoKad.Telemetry;

namespace DynamoKad.Storage;

internal sealed partial class WriteAheadLog
{
    private const int InitialBatchBytes = 64 * 1024;
    private const int RetainedBatchBytes = 4 * 1024 * 1024;

    private readonly object _gate = new();
    private Batch _filling = new();
    private Batch? _spare = new();
    private bool _wakePending;
    private bool _closing;
    private long _nextLsn = 1;
    private long _durableLsn;
    private Exception? _fault;
    private Task _flusher = Task.CompletedTask;
    private long _lastSyncTimestamp;
    private readonly FlusherCounters _counters = new();

    /// <summary>What the flusher did so far: batches, records, time in write+fsync and in the durable callback.</summary>
    public FlusherCounters Counters => _counters;

    /// <summary>
    /// Frames <paramref name="payload"/> into the batch being filled and returns the task of that batch:
    /// it completes once the batch is durable per the durability mode (or faults if writing it failed).
    /// Appends are never cancelled once accepted: the record may already be on its way to disk.
    /// </summary>
    public Task Append(IWalPayload payload, out long lsn)
    {
        var size = payload.Size;
        if (size is <= 0 or > WalFrame.MaxPayloadSize)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), size, $"A WAL record must be 1 to {WalFrame.MaxPayloadSize} bytes.");
        }

        lock (_gate)
        {
            if (_fault is { } fault)
            {
                throw new IOException("The write-ahead log failed earlier and accepts no more writes.", fault);
            }

            ObjectDisposedException.ThrowIf(_closing, this);
            lsn = _nextLsn++;
            var batch = _filling;
            var frame = batch.Reserve(WalFrame.HeaderSize + size);
            payload.WriteTo(frame[WalFrame.HeaderSize..]);
            WalFrame.WriteHeader(frame, size, lsn);
            if (batch.Payloads.Count == 0)
            {
                batch.FirstLsn = lsn;
            }

            batch.Payloads.Add(payload);
            if (!_wakePending)
            {
                _wakePending = true;
                Monitor.Pulse(_gate);
            }

            return batch.Done.Task;
        }
    }

    /// <summary>Stops accepting appends, makes everything accepted durable, and closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
            if (!_wakePending)
            {
                _wakePending = true;
                Monitor.Pulse(_gate);
            }
        }

        await _flusher.ConfigureAwait(false);
        _active.Handle?.Dispose();
        _active.Handle = null;
        if (_nextSegment is { } next)
        {
            try
            {
                (await next.ConfigureAwait(false)).Handle?.Dispose();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The preallocation failed; nothing is open.
            }
        }
    }

    /// <summary>
    /// After <see cref="DisposeAsync"/>: deletes every segment file when all records are at or below
    /// <paramref name="checkpointedLsn"/>, so a clean restart has nothing to replay.
    /// </summary>
    public void DeleteAllIfCovered(long checkpointedLsn)
    {
        lock (_segmentsGate)
        {
            if (_sealed.Any(s => s.LastLsn > checkpointedLsn) || _active.LastLsn > checkpointedLsn)
            {
                return;
            }

            foreach (var segment in _sealed)
            {
                File.Delete(segment.Path);
            }

            _sealed.Clear();
            File.Delete(_active.Path);
            if (_nextSegment is { IsCompletedSuccessfully: true } next)
            {
                File.Delete(next.Result.Path);
            }
        }

        FileSync.SyncDirectory(_directory);
    }

    /// <summary>
    /// Starts the flusher on its own thread: it blocks in write and fsync, and it must never run inline
    /// on an appender (which would serialize every append behind its own fsync).
    /// </summary>
    private void StartFlusher()
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _flusher = completion.Task;
        var thread = new Thread(() =>
        {
            try
            {
                FlushLoop();
                completion.SetResult();
            }
            catch (Exception ex)
            {
                completion.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "DynamoKad WAL flusher",
        };
        thread.Start();
    }

    private void FlushLoop()
    {
        while (true)
        {
            // Monitor.Wait blocks without spinning first (SemaphoreSlim.Wait spun once per group commit, taking
            // a core from threads with work on a small machine); the appender pulses under the same lock.
            lock (_gate)
            {
                while (!_wakePending)
                {
                    Monitor.Wait(_gate);
                }
            }

            if (_settings.Durability == DurabilityMode.Batch && !Volatile.Read(ref _closing))
            {
                // Batch mode: one fsync per interval; everything appended meanwhile waits for it.
                var wait = _settings.FsyncInterval - _time.GetElapsedTime(_lastSyncTimestamp);
                if (wait > TimeSpan.Zero)
                {
                    Task.Delay(wait, _time).GetAwaiter().GetResult();
                }
            }

            Batch batch;
            bool closing;
            lock (_gate)
            {
                _wakePending = false;
                closing = _closing;
                batch = _filling;
                if (batch.Payloads.Count == 0)
                {
                    if (closing)
                    {
                        return;
                    }

                    continue;
                }

                _filling = _spare!;
                _spare = null;
            }

            try
            {
                var started = Stopwatch.GetTimestamp();
                WriteBatch(batch);
                var written = Stopwatch.GetTimestamp();
                Volatile.Write(ref _durableLsn, batch.LastLsn);
                _onDurable?.Invoke(batch.FirstLsn, batch.Payloads);
                _counters.Record(batch.Payloads.Count, written - started, Stopwatch.GetTimestamp() - written);
            }
            catch (Exception ex)
            {
                Batch pending;
                lock (_gate)
                {
                    _fault = ex;
                    pending = _filling;
                }

                batch.Done.TrySetException(ex);
                pending.Done.TrySetException(ex);
                return;
            }

            var done = batch.Done;
            batch.Reset();
            _spare = batch;
            done.TrySetResult();
            if (closing)
            {
                lock (_gate)
                {
                    if (_filling.Payloads.Count == 0)
                    {
                        return;
                    }
                }
            }
        }
    }

    private void WriteBatch(Batch batch)
    {
        if (_active.UsedBytes > 0 && _active.UsedBytes + batch.Length > _settings.SegmentSizeBytes)
        {
            Roll();
        }

        var active = _active;
        var started = _time.GetTimestamp();
        RandomAccess.Write(active.Handle!, batch.Written, active.UsedBytes);
        DynamoKadMetrics.WalFsyncBatchSize.Record(batch.Payloads.Count);
        if (_settings.Durability != DurabilityMode.None)
        {
            FileSync.DataSync(active.Handle!);
            DynamoKadMetrics.WalFsyncDuration.Record(_time.GetElapsedTime(started).TotalMilliseconds);
        }

        _lastSyncTimestamp = _time.GetTimestamp();
        lock (_segmentsGate)
        {
            active.UsedBytes += batch.Length;
            if (active.FirstLsn == 0)
            {
                active.FirstLsn = batch.FirstLsn;
            }

            active.LastLsn = batch.LastLsn;
        }
    }

    private void Roll()
    {
        var next = _nextSegment!.GetAwaiter().GetResult();
        var old = _active;
        lock (_segmentsGate)
        {
            _sealed.Add(old);
            _active = next;
        }

        if (_settings.Durability == DurabilityMode.None)
        {
            RandomAccess.FlushToDisk(old.Handle!);
        }

        old.Handle!.Dispose();
        old.Handle = null;
        StartNextSegment();
    }
}
