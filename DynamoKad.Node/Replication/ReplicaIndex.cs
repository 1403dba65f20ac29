using DynamoKad.Kademlia;
using DynamoKad.Storage;

namespace DynamoKad.Replication;

/// <summary>
/// What anti-entropy needs to know about the keys this node stores, in memory and current, so that a round costs in
/// proportion to what changed rather than to the data set. Per key: its hash (SHA-1 of the key, which is its
/// Kademlia id, so placement needs no key bytes), a 128-bit digest of its stored versions
/// (<see cref="Siblings.StoredDigest"/>), its newest dot timestamp, and whether every version is a tombstone. From
/// them it keeps, per peer this node shares keys with, the leaves of the Merkle tree over the shared settled keys
/// (<see cref="MerkleTree.KeyLeafHash"/> XORed per leaf), the keys this node holds but does not own (strays) and the
/// keys holding only tombstones.
/// <para>
/// Built once from one storage scan (<see cref="WhenBuiltAsync"/>), then kept current by <see cref="Apply"/>, which
/// <see cref="LocalReplica"/> calls inside every storage merge that changes a key, under the key's lock in storage:
/// the index sees a key's changes in the order storage makes them. <see cref="Apply"/> runs on every replica write,
/// so it is synchronous, allocates nothing in steady state and holds one stripe's lock for O(N) work.
/// </para>
/// <para>
/// Which peers share a key depends on placement, so the per-peer leaves are derived under one
/// <see cref="PlacementView"/>; a read that finds placement on a newer view first derives them again, from the index
/// alone, stripe by stripe. Keys are striped by the top bits of their hash (64 stripes of 16 leaves), so a rebuild
/// holds one stripe's lock at a time and a snapshot of a peer's tree copies 16 leaves per stripe.
/// </para>
/// <para>
/// Memory: 60 bytes per key in its stripe's dictionary (the 20-byte hash padded to 24, a 24-byte entry, the
/// dictionary's own 8 bytes and a 4-byte bucket), trimmed after the start-up build; per peer, 16 KB of leaves.
/// Measured with its trees: 82 bytes per key at 100,000 keys, 117 at 10,000 (per-stripe fixed costs).
/// </para>
/// </summary>
public sealed partial class ReplicaIndex
{
    private const int StripeBits = 6;
    private const int StripeCount = 1 << StripeBits;
    private const int LeavesPerStripe = MerkleTree.LeafCount / StripeCount;

    private readonly IStorageEngine _storage;
    private readonly IReplicaPlacement _placement;
    private readonly TimeProvider _time;
    private readonly long _settleMs;
    private readonly Stripe[] _stripes = new Stripe[StripeCount];
    private readonly Lock _buildGate = new();
    private Task? _build;

    // Read under a stripe's lock: until the start-up scan is done, a removed key leaves a marker, so the scan, which may
    // have read the key before it went, does not bring it back.
    private volatile bool _built;

    /// <param name="n">Replicas per key: a key is shared with the other members of its N closest.</param>
    /// <param name="settleMs">Keys whose newest dot is younger stay out of the trees (<see cref="ReplicationOptions.AntiEntropySettleMs"/>).</param>
    public ReplicaIndex(IStorageEngine storage, IReplicaPlacement placement, int n, int settleMs, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, PlacementView.MaxPreference);
        _storage = storage;
        _placement = placement;
        _time = time;
        _settleMs = settleMs;
        for (var i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = new Stripe(i * LeavesPerStripe, n, settleMs);
        }
    }

    /// <summary>
    /// Completes once the index holds every key storage held at start-up (one scan, begun by the first call; a
    /// failed scan is tried again by the next). Changes made meanwhile are indexed as they happen.
    /// </summary>
    public Task WhenBuiltAsync(CancellationToken cancellationToken)
    {
        Task build;
        lock (_buildGate)
        {
            if (_build is null || _build.IsFaulted || _build.IsCanceled)
            {
                // Off the caller's thread: a scan that completes synchronously (in memory) would otherwise run inline.
                _build = Task.Run(BuildAsync, CancellationToken.None);
            }

            build = _build;
        }

        return build.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The key whose hash is <paramref name="keyHash"/> now holds <paramref name="stored"/> (none: it is gone).
    /// Call it under the key's lock in storage, with what storage is about to hold, so changes arrive in order.
    /// </summary>
    public void Apply(ReadOnlySpan<byte> keyHash, IReadOnlyList<StoredVersion> stored)
    {
        var entry = stored.Count == 0 ? default : Entry.Of(stored);
        var nowMs = _settleMs == 0 ? 0 : _time.GetUtcNow().ToUnixTimeMilliseconds();
        var key = NodeId.FromBytes(keyHash);
        var stripe = StripeOf(keyHash);
        lock (stripe.Gate)
        {
            if (stored.Count == 0)
            {
                stripe.Remove(key, keyHash, keepMarker: !_built);
            }
            else
            {
                stripe.Put(key, keyHash, entry, nowMs, onlyIfAbsent: false);
            }
        }
    }

    /// <summary>
    /// The Merkle tree over the settled keys this node shares with <paramref name="peer"/>, under placement's current
    /// view: a copy, so later changes do not move it. O(leaves), plus whatever keys settled since the last call.
    /// </summary>
    public MerkleTree GetTree(NodeId peer)
    {
        var leaves = new UInt128[MerkleTree.LeafCount];
        var keys = 0;
        VisitRefreshed(stripe =>
        {
            keys += stripe.CopyLeaves(peer, leaves);
            return true;
        });
        return MerkleTree.FromLeaves(leaves, keys);
    }

    /// <summary>The other members that share at least one stored key with this node (settled or not), ordered by id.</summary>
    public IReadOnlyList<ReplicaPeer> GetPartners()
    {
        var partners = new HashSet<NodeId>();
        var view = VisitRefreshed(stripe =>
        {
            stripe.AddPeers(partners);
            return true;
        });
        return [.. view.Members.Where(m => partners.Contains(m.Id))];
    }

    /// <summary>Up to <paramref name="max"/> keys this node holds although placement's view puts it outside their preference lists.</summary>
    public IReadOnlyList<NodeId> GetStrays(int max)
    {
        var strays = new List<NodeId>();
        VisitRefreshed(stripe =>
        {
            stripe.AddStrays(strays, max);
            return strays.Count < max;
        });
        return strays;
    }

    /// <summary>
    /// Keys holding only tombstones, none newer than <paramref name="newestBeforeMs"/> (Unix ms), whose closest
    /// replica under placement's view is this node: the ones this node is to collect (<c>AntiEntropy.Tombstones.cs</c>).
    /// </summary>
    public IReadOnlyList<NodeId> GetCollectableTombstones(long newestBeforeMs)
    {
        var collectable = new List<NodeId>();
        VisitRefreshed(stripe =>
        {
            stripe.AddCollectableTombstones(collectable, newestBeforeMs);
            return true;
        });
        return collectable;
    }

    /// <summary>Every indexed key, ordered by hash: for tests comparing a maintained index with one built from scratch.</summary>
    public IReadOnlyList<IndexedKey> GetKeys()
    {
        var keys = new List<IndexedKey>();
        foreach (var stripe in _stripes)
        {
            lock (stripe.Gate)
            {
                stripe.AddKeys(keys);
            }
        }

        keys.Sort((a, b) => a.KeyHash.CompareTo(b.KeyHash));
        return keys;
    }

    private static int LeafOf(ReadOnlySpan<byte> keyHash) => MerkleTree.LeafOf(keyHash);

    private Stripe StripeOf(ReadOnlySpan<byte> keyHash) => _stripes[LeafOf(keyHash) / LeavesPerStripe];

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Brings each stripe, under its lock and one at a time, up to placement's current view (and lets the keys that
    /// settled join the trees), then hands it to <paramref name="visit"/>, until that returns false. Returns the view.
    /// </summary>
    private PlacementView VisitRefreshed(Func<Stripe, bool> visit)
    {
        var view = _placement.GetView();
        var nowMs = NowMs();
        foreach (var stripe in _stripes)
        {
            lock (stripe.Gate)
            {
                stripe.Refresh(view, nowMs);
                if (!visit(stripe))
                {
                    break;
                }
            }
        }

        return view;
    }

    private async Task BuildAsync()
    {
        await foreach (var record in _storage.ScanAsync(ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, CancellationToken.None))
        {
            var entry = Entry.Of(record.Versions);
            var nowMs = NowMs();
            var stripe = StripeOf(record.KeyHash);
            lock (stripe.Gate)
            {
                // A key changed since the scan began is already indexed as it is now.
                stripe.Put(NodeId.FromBytes(record.KeyHash), record.KeyHash, entry, nowMs, onlyIfAbsent: true);
            }
        }

        _built = true;
        foreach (var stripe in _stripes)
        {
            lock (stripe.Gate)
            {
                stripe.FinishBuild();
            }
        }
    }

    /// <summary>One indexed key as <see cref="GetKeys"/> lists it.</summary>
    public readonly record struct IndexedKey(NodeId KeyHash, UInt128 Digest, long NewestDotMs, bool TombstonesOnly);
}
