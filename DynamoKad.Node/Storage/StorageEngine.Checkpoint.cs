using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DynamoKad.Storage;

public sealed partial class StorageEngine
{
    // Hint changes not yet in SQLite, in LSN order. Key writes need no queue: the memtable holds each key's newest.
    private readonly ConcurrentQueue<StorageOp> _hintOps = new();
    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private readonly CancellationTokenSource _stopCheckpoints = new();
    private TaskCompletionSource _checkpointKick = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _checkpointLoop = Task.CompletedTask;

    // Every WAL record through _appliedLsn is in memory (written by the flusher, in LSN order); SQLite covers every
    // record through _checkpointedLsn (written by the checkpoint only). Records get consecutive LSNs, so the
    // difference is the number of records a checkpoint has yet to cover.
    private long _appliedLsn;
    private long _checkpointedLsn;
    private long _lastCheckpointTicks;
    private List<StorageOp>? _failedHintOps;

    /// <summary>
    /// For tests: runs on the checkpoint's thread once it has fixed the LSN it will cover and before it reads the
    /// memtable, so a test can write in between.
    /// </summary>
    internal Action? CheckpointCovering { get; set; }

    /// <summary>
    /// Covers every WAL record applied so far with one SQLite transaction: each key's newest state from the memtable
    /// and the hint changes, in order. Then it drops the checkpointed keys from the memtable (those no later write
    /// replaced) and deletes the WAL segments that are wholly covered. Returns how many WAL records it covered. The
    /// background loop calls this every CheckpointIntervalMs.
    /// </summary>
    /// <remarks>
    /// Only a key's newest write is kept until a checkpoint, so an overwritten version dies young instead of living in
    /// a queue (and the GC's older generations) until the next checkpoint. A key whose newest write came after the
    /// covered LSN keeps its older row in SQLite meanwhile: its newest write is still in the WAL past that LSN, so
    /// recovery (the row plus the records past the LSN, in order) rebuilds the same state, and the memtable keeps
    /// serving it until a checkpoint writes it.
    /// </remarks>
    public async Task<int> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        await _checkpointGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return CheckpointOnceLocked();
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    private int CheckpointOnce()
    {
        _checkpointGate.Wait();
        try
        {
            return CheckpointOnceLocked();
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    private int CheckpointOnceLocked()
    {
        var target = Volatile.Read(ref _appliedLsn);
        var covered = _checkpointedLsn;
        if (target <= covered)
        {
            return 0;
        }

        // The hint changes as they were logged; those of a batch whose transaction failed first, so a later
        // checkpoint never claims LSNs that SQLite did not receive.
        var hintOps = _failedHintOps ?? [];
        _failedHintOps = null;
        while (_hintOps.TryPeek(out var hintOp) && hintOp.Lsn <= target)
        {
            _hintOps.TryDequeue(out _);
            hintOps.Add(hintOp);
        }

        CheckpointCovering?.Invoke();
        var writes = new List<StorageOp.KeyWrite>();
        foreach (var entry in _memtable)
        {
            var write = entry.Value;
            if (write.Lsn <= target)
            {
                writes.Add(write);

                // Before the commit: once a memtable entry goes, readers must find the key through here.
                if (write.Versions.Count > 0)
                {
                    _keyDirectory.Add(write.KeyHash);
                }
            }
        }

        try
        {
            _store.Apply(writes, hintOps, target);
        }
        catch
        {
            _failedHintOps = hintOps;
            throw;
        }

        // SQLite now holds each of these states; a memtable entry goes only if no later write replaced it. The
        // read cache takes the state first, so a reader never finds neither (it would read SQLite, which is as
        // current, but the cache must never hold anything older than SQLite: only this thread writes it).
        foreach (var write in writes)
        {
            CacheClean(write);
            _memtable.TryRemove(new KeyValuePair<byte[], StorageOp.KeyWrite>(write.Key, write));
        }

        Volatile.Write(ref _checkpointedLsn, target);
        _wal.TrimUpTo(target);
        Volatile.Write(ref _lastCheckpointTicks, _time.GetUtcNow().UtcTicks);
        return (int)Math.Min(target - covered, int.MaxValue);
    }

    /// <summary>The checkpoint runs on its own low-priority thread (see <see cref="BackgroundPriority"/>).</summary>
    private void StartCheckpointLoop()
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _checkpointLoop = completion.Task;
        var thread = new Thread(() =>
        {
            BackgroundPriority.LowerCurrentThread();
            CheckpointLoop();
            completion.SetResult();
        })
        {
            IsBackground = true,
            Name = "DynamoKad checkpoint",
        };
        thread.Start();
    }

    private void CheckpointLoop()
    {
        var stop = _stopCheckpoints.Token;
        var interval = TimeSpan.FromMilliseconds(_options.CheckpointIntervalMs);
        while (!stop.IsCancellationRequested)
        {
            var kick = Volatile.Read(ref _checkpointKick);
            using (var delay = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                Task.WhenAny(Task.Delay(interval, _time, delay.Token), kick.Task).Wait(CancellationToken.None);
                delay.Cancel();
            }

            if (kick.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _checkpointKick, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), kick);
            }

            if (stop.IsCancellationRequested)
            {
                break;
            }

            try
            {
                CheckpointOnce();
            }
            catch (Exception ex)
            {
                // The records stay in the WAL and the memtable, and the next round retries the batch.
                _logger.LogError(ex, "Storage checkpoint failed in {DataDir}", _options.DataDir);
            }
        }
    }

    private async Task StopCheckpointLoopAsync()
    {
        await _stopCheckpoints.CancelAsync().ConfigureAwait(false);
        await _checkpointLoop.ConfigureAwait(false);
        _stopCheckpoints.Dispose();
    }

    /// <summary>
    /// Keeps <paramref name="write"/>'s state (now SQLite's row) in the read cache, within
    /// <see cref="StorageOptions.ReadCacheBytes"/>; a deleted key leaves it. Only the checkpoint thread calls this.
    /// </summary>
    private void CacheClean(StorageOp.KeyWrite write)
    {
        var limit = _options.ReadCacheBytes;
        if (write.Versions.Count == 0 || limit == 0)
        {
            if (_clean.TryRemove(write.Key, out var gone))
            {
                _cleanBytes -= CachedSize(write.Key, gone);
            }

            return;
        }

        var size = CachedSize(write.Key, write.Versions);
        if (_clean.TryGetValue(write.Key, out var previous))
        {
            _cleanBytes -= CachedSize(write.Key, previous);
        }

        _clean[write.Key] = write.Versions;
        _cleanBytes += size;
        if (_cleanBytes <= limit)
        {
            return;
        }

        // Over the limit: drop entries (in the dictionary's order, which is effectively random for hashed keys)
        // until a tenth of the budget is free again.
        foreach (var entry in _clean)
        {
            if (_cleanBytes <= limit - (limit / 10))
            {
                break;
            }

            if (_clean.TryRemove(entry.Key, out var dropped))
            {
                _cleanBytes -= CachedSize(entry.Key, dropped);
            }
        }
    }

    private static long CachedSize(byte[] key, IReadOnlyList<StoredVersion> versions)
    {
        long size = 64 + key.Length;
        foreach (var version in versions)
        {
            size += 48 + version.Clock.Length + version.Value.Length;
        }

        return size;
    }
}
