using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DynamoKad.Storage;

public sealed partial class StorageEngine
{
    private const int MaxOpsPerCheckpoint = 500_000;

    private readonly ConcurrentQueue<StorageOp> _checkpointQueue = new();
    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private readonly CancellationTokenSource _stopCheckpoints = new();
    private TaskCompletionSource _checkpointKick = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _checkpointLoop = Task.CompletedTask;
    private long _pendingOps;
    private long _lastCheckpointTicks;
    private List<StorageOp>? _failedBatch;

    /// <summary>
    /// Moves one batch of durable WAL records (up to 500,000) into SQLite in one transaction, drops
    /// them from the memtable and deletes the WAL segments that are wholly checkpointed. Returns how
    /// many records moved. The background loop calls this every CheckpointIntervalMs.
    /// </summary>
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
        // A batch whose transaction failed is retried first: skipping it would let a later checkpoint
        // claim (and trim) LSNs that SQLite never received.
        var ops = _failedBatch ?? new List<StorageOp>(Math.Min(_checkpointQueue.Count, MaxOpsPerCheckpoint));
        _failedBatch = null;
        while (ops.Count < MaxOpsPerCheckpoint && _checkpointQueue.TryDequeue(out var op))
        {
            ops.Add(op);
        }

        if (ops.Count == 0)
        {
            return 0;
        }

        var lsn = ops[^1].Lsn;
        foreach (var op in ops)
        {
            // Before the commit: once a memtable entry goes, readers must find the key through here.
            if (op is StorageOp.KeyWrite { Versions.Count: > 0 } write)
            {
                _keyDirectory.Add(write.KeyHash);
            }
        }

        try
        {
            _store.Apply(ops, lsn);
        }
        catch
        {
            _failedBatch = ops;
            throw;
        }

        // SQLite now holds each of these states; a memtable entry goes only if no later write replaced it. The
        // read cache takes the state first, so a reader never finds neither (it would read SQLite, which is as
        // current, but the cache must never hold anything older than SQLite: only this thread writes it).
        foreach (var op in ops)
        {
            if (op is StorageOp.KeyWrite write)
            {
                CacheClean(write);
                _memtable.TryRemove(new KeyValuePair<byte[], StorageOp.KeyWrite>(write.Key, write));
            }
        }

        Interlocked.Add(ref _pendingOps, -ops.Count);
        _wal.TrimUpTo(lsn);
        Volatile.Write(ref _lastCheckpointTicks, _time.GetUtcNow().UtcTicks);
        return ops.Count;
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
