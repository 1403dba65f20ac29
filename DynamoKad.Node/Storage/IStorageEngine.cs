namespace DynamoKad.Storage;

/// <summary>
/// The storage facade the replication layer uses. It stores, per key, a set of versions whose causal
/// metadata (<see cref="StoredVersion.Clock"/>) is opaque bytes: the replication layer defines and
/// merges it; storage only keeps it durable. Storage knows nothing of Kademlia or replication.
/// </summary>
public interface IStorageEngine : IAsyncDisposable
{
    /// <summary>The versions held for <paramref name="key"/> (empty when none). Sees every acknowledged write.</summary>
    ValueTask<IReadOnlyList<StoredVersion>> ReadAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Atomically for <paramref name="key"/>: reads its current versions, calls <paramref name="merge"/>
    /// with them, and durably stores the result before completing (per the durability mode). Concurrent
    /// applies to one key are serialized, so a read-merge-write never loses a concurrent update.
    /// When <paramref name="merge"/> returns the very list it was given, nothing is written.
    /// An empty result removes the key. Returns the versions now stored.
    /// </summary>
    ValueTask<IReadOnlyList<StoredVersion>> ApplyAsync(
        ReadOnlyMemory<byte> key,
        Func<IReadOnlyList<StoredVersion>, IReadOnlyList<StoredVersion>> merge,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="ApplyAsync(ReadOnlyMemory{byte}, Func{IReadOnlyList{StoredVersion}, IReadOnlyList{StoredVersion}}, CancellationToken)"/>
    /// for a key whose hash the caller already has, so storage does not compute it again.
    /// </summary>
    ValueTask<IReadOnlyList<StoredVersion>> ApplyAsync(
        HashedKey key,
        Func<IReadOnlyList<StoredVersion>, IReadOnlyList<StoredVersion>> merge,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Every key whose hash (SHA-1 of the key, 20 bytes, compared as an unsigned big-endian number) lies
    /// in [<paramref name="fromHashInclusive"/>, <paramref name="toHashExclusive"/>), in hash order.
    /// An empty <paramref name="toHashExclusive"/> means "to the end of the hash space".
    /// </summary>
    IAsyncEnumerable<StoredRecord> ScanAsync(
        ReadOnlyMemory<byte> fromHashInclusive,
        ReadOnlyMemory<byte> toHashExclusive,
        CancellationToken cancellationToken = default);

    /// <summary>Durably stores a hint: a write held for another node (Dynamo §4.6). Returns its id.</summary>
    ValueTask<long> PutHintAsync(HintRecord hint, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> pending hints, oldest first; all targets when <paramref name="target"/> is empty.</summary>
    ValueTask<IReadOnlyList<HintRecord>> PeekHintsAsync(ReadOnlyMemory<byte> target, int max, CancellationToken cancellationToken = default);

    /// <summary>Durably removes a hint once its target acknowledged it.</summary>
    ValueTask RemoveHintAsync(long hintId, CancellationToken cancellationToken = default);

    /// <summary>Counters for the Admin API and the dashboard.</summary>
    StorageStats GetStats();
}

/// <summary>One version of a key: opaque causal metadata, the value, and whether it is a delete.</summary>
/// <remarks>Arrays are owned by the record once stored: callers must not mutate them.</remarks>
public sealed record StoredVersion(byte[] Clock, byte[] Value, bool Tombstone);

/// <summary>A key, its hash (SHA-1, 20 bytes) and its versions, as a hash-range scan yields them.</summary>
public sealed record StoredRecord(byte[] Key, byte[] KeyHash, IReadOnlyList<StoredVersion> Versions);

/// <summary>A write held for <see cref="Target"/> (a 20-byte node id). <see cref="Id"/> is assigned by storage.</summary>
public sealed record HintRecord(long Id, byte[] Target, byte[] Key, StoredVersion Version, DateTimeOffset CreatedAt);

/// <summary>What the storage engine holds and how its log stands.</summary>
public sealed record StorageStats(
    long Keys,
    long HintsPending,
    long WalBytes,
    int WalSegments,
    DateTimeOffset? LastCheckpoint,
    long AppliedWrites);
