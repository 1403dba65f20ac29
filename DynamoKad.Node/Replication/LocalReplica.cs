using DynamoKad.Kademlia;
using DynamoKad.Storage;
using Microsoft.Extensions.Options;

namespace DynamoKad.Replication;

/// <summary>
/// The replica side of this node: what a replica call does to local storage. The gRPC Replica service and
/// the in-memory network both call it, and the coordinator calls it directly for itself (no loopback hop).
/// Every write merges siblings inside <see cref="IStorageEngine.ApplyAsync"/>, so a replica never replaces
/// a version the incoming one has not seen, whatever order writes, repairs and hints arrive in.
/// <para>
/// Every merge that changes a key also tells <see cref="Index"/>, inside the merge (so under the key's lock in storage,
/// in the order storage applies changes); a merge whose write then fails puts the index back to what storage holds.
/// The anti-entropy side (trees, leaf digests, partners) is <c>LocalReplica.AntiEntropy.cs</c>.
/// </para>
/// </summary>
public sealed partial class LocalReplica(IStorageEngine storage, IReplicaPlacement placement, IOptions<ReplicationOptions> options, TimeProvider time)
{
    public NodeId Self => placement.Self;

    /// <summary>The storage under this replica. Change keys only through the replica: <see cref="Index"/> follows its merges.</summary>
    public IStorageEngine Storage => storage;

    /// <summary>The keys this node stores, as anti-entropy needs them; current after every change made through this replica.</summary>
    public ReplicaIndex Index { get; } = new(storage, placement, options.Value.N, options.Value.AntiEntropySettleMs, time);

    /// <summary>
    /// Stores a key's versions (and, for a substitute, a durable hint per version for its owner) before
    /// acknowledging. A coordinator sends the whole sibling set it holds after its write, never the new version
    /// alone: whoever holds a coordinator's dot then also holds every earlier dot of that coordinator for the key
    /// (or a version that supersedes it), which is what makes a read's causal context exact (see
    /// <see cref="WriteNewVersionAsync"/>).
    /// </summary>
    public async Task WriteAsync(byte[] key, IReadOnlyList<VersionedValue> versions, NodeId? hintFor, CancellationToken cancellationToken)
    {
        if (hintFor is { } owner && owner != Self)
        {
            // The hints first: once the write is acknowledged, the owner must eventually get it.
            foreach (var version in versions)
            {
                await storage.PutHintAsync(new HintRecord(0, owner.ToByteArray(), key, version.ToStored(), time.GetUtcNow()), cancellationToken);
            }
        }

        await MergeStoredAsync(HashedKey.Of(key), versions, cancellationToken);
    }

    /// <summary>
    /// The coordinator's half of a write (Dynamo §4.5, with dotted version vectors as Riak uses them): under the
    /// key's lock, <paramref name="create"/> makes the new version from what is stored, it is merged with the
    /// stored siblings, and <paramref name="merged"/> hears the new version and the resulting sibling set before
    /// the WAL's fsync, so the other replicas can be sent the set while this one is made durable. Creating the dot
    /// under the key's lock means this node's dots for a key are stored in the order they were issued, so the set
    /// it sends with dot n holds every earlier dot of this node for the key or a version that supersedes it.
    /// </summary>
    public async Task WriteNewVersionAsync(
        HashedKey key,
        Func<IReadOnlyList<VersionedValue>, VersionedValue> create,
        Action<VersionedValue, IReadOnlyList<VersionedValue>> merged,
        CancellationToken cancellationToken)
    {
        var indexed = false;
        try
        {
            await storage.ApplyAsync(key, existing =>
            {
                var current = existing.Select(VersionedValue.FromStored).ToList();
                var version = create(current);
                var siblings = Siblings.Reconcile(current.Append(version));
                merged(version, siblings);
                IReadOnlyList<StoredVersion> stored = [.. siblings.Select(v => v.ToStored())];
                indexed = Indexed(key, stored);
                return stored;
            }, cancellationToken);
        }
        catch when (indexed)
        {
            await ReindexAsync(key);
            throw;
        }
    }

    public async Task<IReadOnlyList<VersionedValue>> ReadAsync(byte[] key, CancellationToken cancellationToken)
    {
        var stored = await storage.ReadAsync(key, cancellationToken);
        return [.. stored.Select(VersionedValue.FromStored)];
    }

    /// <summary>Folds versions into the key; returns whether anything changed and what is stored now.</summary>
    public async Task<(bool Changed, IReadOnlyList<VersionedValue> Stored)> MergeAsync(
        byte[] key, IReadOnlyList<VersionedValue> versions, CancellationToken cancellationToken)
    {
        var (changed, stored) = await MergeStoredAsync(HashedKey.Of(key), versions, cancellationToken);
        return (changed, [.. stored.Select(VersionedValue.FromStored)]);
    }

    private async Task<(bool Changed, IReadOnlyList<StoredVersion> Stored)> MergeStoredAsync(
        HashedKey key, IReadOnlyList<VersionedValue> versions, CancellationToken cancellationToken)
    {
        var changed = false;
        try
        {
            var result = await storage.ApplyAsync(key, existing =>
            {
                var merged = Siblings.MergeStored(existing, versions);
                changed = !ReferenceEquals(merged, existing) && Indexed(key, merged);
                return merged;
            }, cancellationToken);
            return (changed, result);
        }
        catch when (changed)
        {
            await ReindexAsync(key);
            throw;
        }
    }

    /// <summary>Merges each key and returns what is then stored for it (the other half of an anti-entropy exchange).</summary>
    public async Task<IReadOnlyList<KeyVersions>> SyncKeysAsync(IReadOnlyList<KeyVersions> keys, CancellationToken cancellationToken)
    {
        var result = new List<KeyVersions>(keys.Count);
        foreach (var entry in keys)
        {
            var (_, stored) = entry.Versions.Count == 0
                ? (false, await ReadAsync(entry.Key, cancellationToken))
                : await MergeAsync(entry.Key, entry.Versions, cancellationToken);
            result.Add(new KeyVersions(entry.Key, stored));
        }

        return result;
    }

    /// <summary>
    /// Removes <paramref name="key"/> if it still holds exactly <paramref name="expected"/> (a write that arrived
    /// meanwhile keeps it). Returns whether the key was removed.
    /// </summary>
    public Task<bool> DropIfUnchangedAsync(byte[] key, IReadOnlyList<StoredVersion> expected, CancellationToken cancellationToken) =>
        DropIfAsync(key, existing => SameStored(existing, expected), cancellationToken);

    private static bool SameStored(IReadOnlyList<StoredVersion> a, IReadOnlyList<StoredVersion> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (a[i].Tombstone != b[i].Tombstone
                || !a[i].Clock.AsSpan().SequenceEqual(b[i].Clock)
                || !a[i].Value.AsSpan().SequenceEqual(b[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Drops <paramref name="key"/> if everything stored for it is a tombstone that <paramref name="clock"/> has
    /// seen: a write the reaper never saw (a newer value or tombstone) keeps the key alive.
    /// </summary>
    public Task<bool> ReapAsync(byte[] key, VectorClock clock, CancellationToken cancellationToken) =>
        DropIfAsync(
            key,
            existing =>
            {
                var versions = existing.Select(VersionedValue.FromStored).ToList();
                return versions.Count > 0 && versions.TrueForAll(v => v.Tombstone && v.Clock.IsCoveredBy(clock));
            },
            cancellationToken);

    /// <summary>
    /// Removes <paramref name="key"/> when <paramref name="drop"/>, asked inside the storage merge (under the key's
    /// lock), says so; if the removal then fails to become durable, the index is set back from storage.
    /// </summary>
    private async Task<bool> DropIfAsync(byte[] key, Func<IReadOnlyList<StoredVersion>, bool> drop, CancellationToken cancellationToken)
    {
        var hashed = HashedKey.Of(key);
        var dropped = false;
        try
        {
            await storage.ApplyAsync(hashed, existing =>
            {
                if (!drop(existing))
                {
                    return existing;
                }

                dropped = Indexed(hashed, []);
                return [];
            }, cancellationToken);
            return dropped;
        }
        catch when (dropped)
        {
            await ReindexAsync(hashed);
            throw;
        }
    }

    /// <summary>
    /// The index hook: inside a storage merge that changes <paramref name="key"/> to <paramref name="stored"/>, so under
    /// the key's lock in storage. Synchronous and allocation-free: the key's hash is the one storage locked it by.
    /// Returns true.
    /// </summary>
    private bool Indexed(HashedKey key, IReadOnlyList<StoredVersion> stored)
    {
        Index.Apply(key.Hash, stored);
        return true;
    }

    /// <summary>
    /// A merge told the index about a change and then failed to store it (a version storage refused, a WAL that failed):
    /// index what storage holds instead, read under the key's lock like any merge.
    /// </summary>
    private async Task ReindexAsync(HashedKey key)
    {
        try
        {
            await storage.ApplyAsync(
                key,
                existing =>
                {
                    Indexed(key, existing);
                    return existing;
                },
                CancellationToken.None);
        }
        catch (Exception)
        {
            // The caller hears of the first failure, not this one. Storage that can no longer even be read is a node
            // going down: the index goes with the process and is built again from storage at the next start.
        }
    }
}
