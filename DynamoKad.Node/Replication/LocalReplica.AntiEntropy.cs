using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using DynamoKad.Kademlia;
using DynamoKad.Storage;

namespace DynamoKad.Replication;

public sealed partial class LocalReplica
{
    // More separate leaf ranges than this are read in one scan of everything: StorageEngine.ScanAsync walks its whole
    // memtable once per call, so hundreds of range scans would cost more than one full one.
    private const int MaxRangeScans = 32;

    private static readonly byte[] EndOfSpace = [];
    private readonly Lock _snapshotGate = new();
    private readonly Dictionary<NodeId, (DateTimeOffset Taken, MerkleTree Tree)> _snapshots = [];

    /// <summary>Completes once <see cref="Index"/> holds what storage held at start-up (one scan, begun by the first call).</summary>
    public Task WhenIndexedAsync(CancellationToken cancellationToken) => Index.WhenBuiltAsync(cancellationToken);

    /// <summary>
    /// The Merkle tree over the settled keys this node and <paramref name="peer"/> both replicate: a snapshot of the
    /// leaves <see cref="Index"/> keeps current on every write (copying them costs O(leaves), not O(keys)).
    /// </summary>
    /// <param name="continuing">
    /// The peer is descending a tree it began comparing with an earlier call: answer from the same snapshot even if
    /// keys changed since (a consistent descent; what changed meanwhile is found by the next round), for up to half an
    /// anti-entropy interval.
    /// </param>
    public async Task<MerkleTree> GetTreeAsync(NodeId peer, CancellationToken cancellationToken, bool continuing = false)
    {
        await Index.WhenBuiltAsync(cancellationToken);
        var now = time.GetUtcNow();
        var maxAge = TimeSpan.FromMilliseconds(options.Value.AntiEntropyIntervalMs / 2.0);
        lock (_snapshotGate)
        {
            if (continuing && _snapshots.TryGetValue(peer, out var cached) && now - cached.Taken < maxAge)
            {
                return cached.Tree;
            }
        }

        var tree = Index.GetTree(peer);
        lock (_snapshotGate)
        {
            // An empty tree is not kept: any id can ask, and one that shares nothing would only take memory.
            if (tree.KeyCount > 0)
            {
                _snapshots[peer] = (now, tree);
            }
            else
            {
                _snapshots.Remove(peer);
            }
        }

        return tree;
    }

    public async Task<IReadOnlyList<byte[]>> GetMerkleHashesAsync(NodeId peer, int level, IReadOnlyList<int> indices, CancellationToken cancellationToken)
    {
        var tree = await GetTreeAsync(peer, cancellationToken, continuing: level > 0);
        return [.. indices.Select(i => tree.GetHash(level, i))];
    }

    /// <summary>
    /// Digests (<see cref="Siblings.StoredDigest"/>, 16 bytes) of the keys shared with <paramref name="peer"/> in the
    /// given leaves, read by a range scan of those leaves only. A key whose newest version is younger than
    /// <see cref="ReplicationOptions.AntiEntropySettleMs"/> is listed with an empty digest: it is in flight here, and
    /// the requester leaves it to the write path rather than repair it.
    /// </summary>
    public async Task<IReadOnlyList<KeyDigest>> GetLeafDigestsAsync(NodeId peer, IReadOnlyList<int> leaves, CancellationToken cancellationToken)
    {
        await Index.WhenBuiltAsync(cancellationToken);
        var view = placement.GetView();
        var settledBefore = time.GetUtcNow().ToUnixTimeMilliseconds() - options.Value.AntiEntropySettleMs;
        var result = new List<KeyDigest>();
        await foreach (var record in ScanLeavesAsync(leaves, cancellationToken))
        {
            if (!Shares(view, NodeId.FromBytes(record.KeyHash), peer))
            {
                continue;
            }

            var digest = Array.Empty<byte>();
            if (Settled(record.Versions, settledBefore))
            {
                digest = new byte[MerkleTree.HashBytes];
                BinaryPrimitives.WriteUInt128BigEndian(digest, Siblings.StoredDigest(record.Versions));
            }

            result.Add(new KeyDigest(record.Key, digest));
        }

        return result;
    }

    /// <summary>The other nodes in the preference lists of the keys this node holds: its anti-entropy partners.</summary>
    public async Task<IReadOnlyList<ReplicaPeer>> GetReplicaPartnersAsync(CancellationToken cancellationToken)
    {
        await Index.WhenBuiltAsync(cancellationToken);
        return Index.GetPartners();
    }

    /// <summary>
    /// What storage holds for the keys with the given hashes (those it still holds), read by range scans of their
    /// leaves: how stray hand-off and tombstone collection turn the index's key hashes back into keys.
    /// </summary>
    public async Task<IReadOnlyList<StoredRecord>> ReadRecordsAsync(IReadOnlyCollection<NodeId> keyHashes, CancellationToken cancellationToken)
    {
        if (keyHashes.Count == 0)
        {
            return [];
        }

        var wanted = keyHashes.ToHashSet();
        var leaves = new List<int>(wanted.Count);
        Span<byte> hash = stackalloc byte[NodeId.ByteLength];
        foreach (var keyHash in wanted)
        {
            keyHash.WriteTo(hash);
            leaves.Add(MerkleTree.LeafOf(hash));
        }

        var records = new List<StoredRecord>(wanted.Count);
        await foreach (var record in ScanLeavesAsync(leaves, cancellationToken))
        {
            if (wanted.Contains(NodeId.FromBytes(record.KeyHash)))
            {
                records.Add(record);
            }
        }

        return records;
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

    /// <summary>Whether both this node and <paramref name="peer"/> are among the key's N closest under <paramref name="view"/>.</summary>
    private bool Shares(PlacementView view, NodeId keyId, NodeId peer)
    {
        Span<int> preferred = stackalloc int[options.Value.N];
        var count = view.PreferenceList(keyId, preferred);
        bool self = false, other = false;
        foreach (var member in preferred[..count])
        {
            self |= member == view.SelfIndex;
            other |= view.Members[member].Id == peer;
        }

        return self && other && peer != Self;
    }

    /// <summary>Whether every version of the key was made before <paramref name="settledBefore"/> (Unix ms, by the dots' timestamps).</summary>
    private bool Settled(IReadOnlyList<StoredVersion> versions, long settledBefore) =>
        options.Value.AntiEntropySettleMs == 0 || Siblings.NewestDotMs(versions) <= settledBefore;

    /// <summary>Every stored record in the given leaves, in hash order: one scan per run of adjacent leaves, or one of everything.</summary>
    private async IAsyncEnumerable<StoredRecord> ScanLeavesAsync(IReadOnlyList<int> leaves, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var wanted = new bool[MerkleTree.LeafCount];
        foreach (var leaf in leaves)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(leaf);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(leaf, MerkleTree.LeafCount);
            wanted[leaf] = true;
        }

        var runs = new List<(int First, int Last)>();
        for (var leaf = 0; leaf < MerkleTree.LeafCount; leaf++)
        {
            if (!wanted[leaf])
            {
                continue;
            }

            if (runs.Count > 0 && runs[^1].Last == leaf - 1)
            {
                runs[^1] = (runs[^1].First, leaf);
            }
            else
            {
                runs.Add((leaf, leaf));
            }
        }

        if (runs.Count > MaxRangeScans)
        {
            await foreach (var record in storage.ScanAsync(ReadOnlyMemory<byte>.Empty, EndOfSpace, cancellationToken))
            {
                if (wanted[MerkleTree.LeafOf(record.KeyHash)])
                {
                    yield return record;
                }
            }

            yield break;
        }

        foreach (var (first, last) in runs)
        {
            await foreach (var record in storage.ScanAsync(LeafRange(first).From, LeafRange(last).To, cancellationToken))
            {
                yield return record;
            }
        }
    }
}
