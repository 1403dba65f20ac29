using DynamoKad.Kademlia;
using DynamoKad.Storage;
using Microsoft.Extensions.Options;

namespace DynamoKad.Replication;

/// <summary>
/// The replica side of this node: what a replica call does to local storage. The gRPC Replica service and
/// the in-memory network both call it, and the coordinator calls it directly for itself (no loopback hop).
/// Every write merges siblings inside <see cref="IStorageEngine.ApplyAsync"/>, so a replica never replaces
/// a version the incoming one has not seen, whatever order writes, repairs and hints arrive in.
/// </summary>
public sealed class LocalReplica(IStorageEngine storage, IReplicaPlacement placement, IOptions<ReplicationOptions> options, TimeProvider time)
{
    private static readonly byte[] EndOfSpace = [];
    private readonly Lock _treeLock = new();
    private readonly Dictionary<NodeId, (long Generation, DateTimeOffset Built, DateTimeOffset Expires, MerkleTree Tree)> _trees = [];
    private long _generation;

    public NodeId Self => placement.Self;

    public IStorageEngine Storage => storage;

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

        await MergeStoredAsync(key, versions, cancellationToken);
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
        byte[] key,
        Func<IReadOnlyList<VersionedValue>, VersionedValue> create,
        Action<VersionedValue, IReadOnlyList<VersionedValue>> merged,
        CancellationToken cancellationToken)
    {
        await storage.ApplyAsync(key, existing =>
        {
            var current = existing.Select(VersionedValue.FromStored).ToList();
            var version = create(current);
            var siblings = Siblings.Reconcile(current.Append(version));
            merged(version, siblings);
            return [.. siblings.Select(v => v.ToStored())];
        }, cancellationToken);
        Interlocked.Increment(ref _generation);
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
        var (changed, stored) = await MergeStoredAsync(key, versions, cancellationToken);
        return (changed, [.. stored.Select(VersionedValue.FromStored)]);
    }

    private async Task<(bool Changed, IReadOnlyList<StoredVersion> Stored)> MergeStoredAsync(
        byte[] key, IReadOnlyList<VersionedValue> versions, CancellationToken cancellationToken)
    {
        var changed = false;
        var result = await storage.ApplyAsync(key, existing =>
        {
            var merged = Siblings.MergeStored(existing, versions);
            changed = !ReferenceEquals(merged, existing);
            return merged;
        }, cancellationToken);
        if (changed)
        {
            Interlocked.Increment(ref _generation);
        }

        return (changed, result);
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
    public async Task<bool> DropIfUnchangedAsync(byte[] key, IReadOnlyList<StoredVersion> expected, CancellationToken cancellationToken)
    {
        var dropped = false;
        await storage.ApplyAsync(key, existing =>
        {
            if (!SameStored(existing, expected))
            {
                return existing;
            }

            dropped = true;
            return [];
        }, cancellationToken);
        return dropped;
    }

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
    public async Task<bool> ReapAsync(byte[] key, VectorClock clock, CancellationToken cancellationToken)
    {
        var reaped = false;
        await storage.ApplyAsync(key, existing =>
        {
            var versions = existing.Select(VersionedValue.FromStored).ToList();
            if (versions.Count == 0 || !versions.TrueForAll(v => v.Tombstone && v.Clock.IsCoveredBy(clock)))
            {
                return existing;
            }

            reaped = true;
            return [];
        }, cancellationToken);
        if (reaped)
        {
            Interlocked.Increment(ref _generation);
        }

        return reaped;
    }

    /// <summary>
    /// The Merkle tree over the keys this node and <paramref name="peer"/> both replicate. One exchange asks for
    /// it once per level, so it is cached until the next local change, or half an anti-entropy interval
    /// (placement, and so which keys are shared, can change without a write here).
    /// </summary>
    /// <param name="continuing">
    /// The peer is descending a tree it began comparing with an earlier call: answer from the same snapshot even if
    /// keys changed since (a consistent descent; what changed meanwhile is found by the next round). Without it,
    /// every level of an exchange under write load rebuilt the tree (a scan and a SHA-256 per key), which took a
    /// loaded node's throughput down to a third for seconds every anti-entropy round.
    /// </param>
    public async Task<MerkleTree> GetTreeAsync(NodeId peer, CancellationToken cancellationToken, bool continuing = false)
    {
        var generation = Interlocked.Read(ref _generation);
        var now = time.GetUtcNow();
        var maxAge = TimeSpan.FromMilliseconds(options.Value.AntiEntropyIntervalMs / 2.0);
        lock (_treeLock)
        {
            if (_trees.TryGetValue(peer, out var cached) && (continuing ? now - cached.Built < maxAge : cached.Generation == generation && now < cached.Expires))
            {
                return cached.Tree;
            }
        }

        var keys = new List<(byte[], byte[])>();
        var settledBefore = now.ToUnixTimeMilliseconds() - options.Value.AntiEntropySettleMs;
        // A key left out for being young makes the tree stale once that key settles.
        var expires = now + maxAge;
        await foreach (var record in SharedRecordsAsync(peer, cancellationToken))
        {
            if (!Settled(record.Versions, settledBefore))
            {
                var settles = now + TimeSpan.FromMilliseconds(options.Value.AntiEntropySettleMs);
                expires = settles < expires ? settles : expires;
                continue;
            }

            keys.Add((record.KeyHash, Siblings.Digest(record.Versions.Select(VersionedValue.FromStored))));
        }

        var tree = MerkleTree.Build(keys);
        lock (_treeLock)
        {
            _trees[peer] = (generation, now, expires, tree);
        }

        return tree;
    }

    public async Task<IReadOnlyList<byte[]>> GetMerkleHashesAsync(NodeId peer, int level, IReadOnlyList<int> indices, CancellationToken cancellationToken)
    {
        var tree = await GetTreeAsync(peer, cancellationToken, continuing: level > 0);
        return [.. indices.Select(i => tree.GetHash(level, i))];
    }

    /// <summary>Digests of the keys shared with <paramref name="peer"/> in the given leaves.</summary>
    public async Task<IReadOnlyList<KeyDigest>> GetLeafDigestsAsync(NodeId peer, IReadOnlyList<int> leaves, CancellationToken cancellationToken)
    {
        var result = new List<KeyDigest>();
        var settledBefore = time.GetUtcNow().ToUnixTimeMilliseconds() - options.Value.AntiEntropySettleMs;
        foreach (var leaf in leaves.Distinct().Order())
        {
            var (from, to) = LeafRange(leaf);
            await foreach (var record in SharedRecordsAsync(peer, cancellationToken, from, to))
            {
                if (!Settled(record.Versions, settledBefore))
                {
                    continue;
                }

                result.Add(new KeyDigest(record.Key, Siblings.Digest(record.Versions.Select(VersionedValue.FromStored))));
            }
        }

        return result;
    }

    /// <summary>
    /// Whether every version of the key was made before <paramref name="settledBefore"/> (Unix ms, by the dots'
    /// timestamps, read straight from the encoded clocks: see <see cref="VersionClock.Encode"/>).
    /// </summary>
    private bool Settled(IReadOnlyList<StoredVersion> versions, long settledBefore)
    {
        if (options.Value.AntiEntropySettleMs == 0)
        {
            return true;
        }

        foreach (var version in versions)
        {
            if (version.Clock.Length < VersionClock.DotTimestampOffset + 8
                || System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(version.Clock.AsSpan(VersionClock.DotTimestampOffset)) > settledBefore)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The other nodes in the preference lists of the keys this node holds: its anti-entropy partners.</summary>
    public async Task<IReadOnlyList<ReplicaPeer>> GetReplicaPartnersAsync(CancellationToken cancellationToken)
    {
        var partners = new Dictionary<NodeId, ReplicaPeer>();
        await foreach (var record in storage.ScanAsync(ReadOnlyMemory<byte>.Empty, EndOfSpace, cancellationToken))
        {
            var preferred = await placement.GetPreferenceCandidatesAsync(NodeId.FromBytes(record.KeyHash), options.Value.N, cancellationToken);
            if (!preferred.Any(p => p.Id == Self))
            {
                continue;
            }

            foreach (var peer in preferred)
            {
                if (peer.Id != Self)
                {
                    partners.TryAdd(peer.Id, peer);
                }
            }
        }

        return [.. partners.Values.OrderBy(p => p.Id)];
    }

    /// <summary>The key-hash range [from, to) of one Merkle leaf; an empty upper bound is the end of the space.</summary>
    public static (byte[] From, byte[] To) LeafRange(int leaf)
    {
        static byte[] Prefix(int value)
        {
            var bytes = new byte[NodeId.ByteLength];
            var shifted = value << (16 - MerkleTree.LeafBits);
            bytes[0] = (byte)(shifted >> 8);
            bytes[1] = (byte)shifted;
            return bytes;
        }

        return (Prefix(leaf), leaf + 1 == MerkleTree.LeafCount ? EndOfSpace : Prefix(leaf + 1));
    }

    private async IAsyncEnumerable<StoredRecord> SharedRecordsAsync(
        NodeId peer,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken,
        byte[]? from = null,
        byte[]? to = null)
    {
        await foreach (var record in storage.ScanAsync(from ?? ReadOnlyMemory<byte>.Empty, to ?? EndOfSpace, cancellationToken))
        {
            var preferred = await placement.GetPreferenceCandidatesAsync(NodeId.FromBytes(record.KeyHash), options.Value.N, cancellationToken);
            if (preferred.Any(p => p.Id == Self) && preferred.Any(p => p.Id == peer))
            {
                yield return record;
            }
        }
    }
}
