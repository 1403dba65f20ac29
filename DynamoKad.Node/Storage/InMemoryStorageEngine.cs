using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace DynamoKad.Storage;

/// <summary>
/// <see cref="IStorageEngine"/> in memory, for tests and simulations: "durable" means "in this object", so
/// a simulated restart keeps the instance and rebuilds everything around it. One lock serializes writes,
/// which makes every apply atomic per key (and across keys, which the contract does not require).
/// </summary>
public sealed class InMemoryStorageEngine : IStorageEngine
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<byte[], StoredRecord> _records = new(HashThenKeyComparer.Instance);
    private readonly SortedDictionary<long, HintRecord> _hints = [];
    private long _nextHintId = 1;
    private long _appliedWrites;

    public ValueTask<IReadOnlyList<StoredVersion>> ReadAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult(_records.TryGetValue(SortKey(key.Span), out var record) ? record.Versions : (IReadOnlyList<StoredVersion>)[]);
        }
    }

    public ValueTask<IReadOnlyList<StoredVersion>> ApplyAsync(
        ReadOnlyMemory<byte> key,
        Func<IReadOnlyList<StoredVersion>, IReadOnlyList<StoredVersion>> merge,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var sortKey = SortKey(key.Span);
        lock (_lock)
        {
            IReadOnlyList<StoredVersion> current = _records.TryGetValue(sortKey, out var record) ? record.Versions : [];
            var result = merge(current);
            if (ReferenceEquals(result, current))
            {
                return ValueTask.FromResult(current);
            }

            _appliedWrites++;
            if (result.Count == 0)
            {
                _records.Remove(sortKey);
                return ValueTask.FromResult<IReadOnlyList<StoredVersion>>([]);
            }

            IReadOnlyList<StoredVersion> copy = [.. result];
            _records[sortKey] = new StoredRecord(key.ToArray(), sortKey[..20], copy);
            return ValueTask.FromResult(copy);
        }
    }

    /// <summary>Hashes the key again: this engine is for tests and simulations, where the saving does not matter.</summary>
    public ValueTask<IReadOnlyList<StoredVersion>> ApplyAsync(
        HashedKey key,
        Func<IReadOnlyList<StoredVersion>, IReadOnlyList<StoredVersion>> merge,
        CancellationToken cancellationToken = default) =>
        ApplyAsync(key.Key, merge, cancellationToken);

    public async IAsyncEnumerable<StoredRecord> ScanAsync(
        ReadOnlyMemory<byte> fromHashInclusive,
        ReadOnlyMemory<byte> toHashExclusive,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<StoredRecord> snapshot;
        lock (_lock)
        {
            snapshot = [.. _records.Values.Where(r =>
                r.KeyHash.AsSpan().SequenceCompareTo(fromHashInclusive.Span) >= 0
                && (toHashExclusive.IsEmpty || r.KeyHash.AsSpan().SequenceCompareTo(toHashExclusive.Span) < 0))];
        }

        foreach (var record in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask;
    }

    public ValueTask<long> PutHintAsync(HintRecord hint, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var id = _nextHintId++;
            _hints[id] = hint with { Id = id };
            return ValueTask.FromResult(id);
        }
    }

    public ValueTask<IReadOnlyList<HintRecord>> PeekHintsAsync(ReadOnlyMemory<byte> target, int max, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var array = target.ToArray();
            IReadOnlyList<HintRecord> hints = [.. _hints.Values.Where(h => array.Length == 0 || h.Target.AsSpan().SequenceEqual(array)).Take(max)];
            return ValueTask.FromResult(hints);
        }
    }

    public ValueTask RemoveHintAsync(long hintId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            _hints.Remove(hintId);
        }

        return ValueTask.CompletedTask;
    }

    public StorageStats GetStats()
    {
        lock (_lock)
        {
            return new StorageStats(_records.Count, _hints.Count, 0, 0, null, _appliedWrites);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>SHA-1(key) followed by the key: sorts by hash (the scan order) and stays unique per key.</summary>
    private static byte[] SortKey(ReadOnlySpan<byte> key)
    {
        var sortKey = new byte[20 + key.Length];
        SHA1.HashData(key, sortKey);
        key.CopyTo(sortKey.AsSpan(20));
        return sortKey;
    }

    private sealed class HashThenKeyComparer : IComparer<byte[]>
    {
        public static readonly HashThenKeyComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
