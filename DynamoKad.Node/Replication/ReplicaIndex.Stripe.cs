using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

public sealed partial class ReplicaIndex
{
    /// <summary>
    /// The keys of <see cref="LeavesPerStripe"/> consecutive leaves and what is derived from them under
    /// <see cref="_view"/>. Every member is used under <see cref="Gate"/>.
    /// </summary>
    private sealed class Stripe(int firstLeaf, int n, long settleMs)
    {
        public readonly Lock Gate = new();

        private readonly Dictionary<NodeId, Entry> _entries = [];
        private readonly Dictionary<NodeId, PeerLeaves> _peers = [];
        private readonly PriorityQueue<NodeId, long> _settling = new();
        private readonly HashSet<NodeId> _tombstones = [];
        private readonly HashSet<NodeId> _strays = [];

        // Null until the first read: keys are then placed under the view that read brings.
        private PlacementView? _view;

        public void Put(NodeId key, ReadOnlySpan<byte> keyHash, Entry entry, long nowMs, bool onlyIfAbsent)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, key, out var exists);
            if (exists && onlyIfAbsent)
            {
                return;
            }

            var had = exists && !slot.Has(EntryFlags.Removed);
            var old = slot;
            entry.Set(EntryFlags.Queued, old.Has(EntryFlags.Queued));
            var young = settleMs > 0 && entry.NewestMs > nowMs - settleMs;
            entry.Set(EntryFlags.Young, young);
            if (young && !entry.Has(EntryFlags.Queued))
            {
                _settling.Enqueue(key, SettlesAt(entry));
                entry.Set(EntryFlags.Queued, true);
            }

            if (entry.Has(EntryFlags.TombstonesOnly))
            {
                _tombstones.Add(key);
            }
            else if (had && old.Has(EntryFlags.TombstonesOnly))
            {
                _tombstones.Remove(key);
            }

            // One placement for both: the old state's part in the leaves goes out as the new one's comes in.
            var wasIncluded = had && !old.Has(EntryFlags.Young);
            var xor = (wasIncluded ? LeafHash(keyHash, old) : UInt128.Zero) ^ (young ? UInt128.Zero : LeafHash(keyHash, entry));
            var stray = Place(key, keyHash, had ? 0 : 1, xor, (young ? 0 : 1) - (wasIncluded ? 1 : 0));
            entry.Set(EntryFlags.Stray, stray);
            if (stray)
            {
                _strays.Add(key);
            }

            slot = entry;
        }

        public void Remove(NodeId key, ReadOnlySpan<byte> keyHash, bool keepMarker)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, key, out var exists);
            if (exists && !slot.Has(EntryFlags.Removed))
            {
                if (slot.Has(EntryFlags.TombstonesOnly))
                {
                    _tombstones.Remove(key);
                }

                if (slot.Has(EntryFlags.Stray))
                {
                    _strays.Remove(key);
                }

                var included = !slot.Has(EntryFlags.Young);
                Place(key, keyHash, -1, included ? LeafHash(keyHash, slot) : UInt128.Zero, included ? -1 : 0);
            }

            if (keepMarker)
            {
                slot.Flags = EntryFlags.Removed | (slot.Flags & EntryFlags.Queued);
            }
            else
            {
                _entries.Remove(key);
            }
        }

        /// <summary>Derives the stripe again if placement moved to another view, then takes in the keys that settled.</summary>
        public void Refresh(PlacementView view, long nowMs)
        {
            if (_view?.Version != view.Version)
            {
                Rebuild(view);
            }

            Settle(nowMs);
        }

        /// <summary>Copies the peer's leaves into their place in <paramref name="leaves"/>; returns the settled keys they cover.</summary>
        public int CopyLeaves(NodeId peer, UInt128[] leaves)
        {
            if (!_peers.TryGetValue(peer, out var shared))
            {
                return 0;
            }

            shared.Leaves.CopyTo(leaves, firstLeaf);
            return shared.Included;
        }

        public void AddPeers(HashSet<NodeId> peers) => peers.UnionWith(_peers.Keys);

        public void AddStrays(List<NodeId> strays, int max)
        {
            foreach (var key in _strays)
            {
                if (strays.Count >= max)
                {
                    return;
                }

                strays.Add(key);
            }
        }

        public void AddCollectableTombstones(List<NodeId> collectable, long newestBeforeMs)
        {
            if (_view is null || _view.SelfIndex < 0)
            {
                return;
            }

            Span<int> closest = stackalloc int[1];
            foreach (var key in _tombstones)
            {
                if (_entries[key].NewestMs <= newestBeforeMs && _view.PreferenceList(key, closest) == 1 && closest[0] == _view.SelfIndex)
                {
                    collectable.Add(key);
                }
            }
        }

        public void AddKeys(List<IndexedKey> keys)
        {
            foreach (var (key, entry) in _entries)
            {
                if (!entry.Has(EntryFlags.Removed))
                {
                    keys.Add(new IndexedKey(key, entry.Digest, entry.NewestMs, entry.Has(EntryFlags.TombstonesOnly)));
                }
            }
        }

        /// <summary>The start-up scan is done: markers go, and the dictionary gives back what its growth left spare.</summary>
        public void FinishBuild()
        {
            foreach (var (key, entry) in _entries)
            {
                if (entry.Has(EntryFlags.Removed))
                {
                    _entries.Remove(key);
                }
            }

            _entries.TrimExcess();
        }

        /// <summary>What a key adds to its leaf: <see cref="MerkleTree.KeyLeafHash"/> of its hash and digest.</summary>
        private static UInt128 LeafHash(ReadOnlySpan<byte> keyHash, in Entry entry)
        {
            Span<byte> digest = stackalloc byte[16];
            BinaryPrimitives.WriteUInt128BigEndian(digest, entry.Digest);
            return MerkleTree.KeyLeafHash(keyHash, digest);
        }

        /// <summary>
        /// Changes the leaves of every peer the key is shared with under the stripe's view: <paramref name="sharedDelta"/>
        /// to their shared-key counts, <paramref name="xor"/> into the key's leaf, <paramref name="includedDelta"/> to
        /// their settled-key counts. Returns whether the key is a stray there: a view with at least N members leaves this
        /// node out of its preference list.
        /// </summary>
        private bool Place(NodeId key, ReadOnlySpan<byte> keyHash, int sharedDelta, UInt128 xor, int includedDelta)
        {
            if (_view is null)
            {
                return false;
            }

            Span<int> preferred = stackalloc int[n];
            var count = _view.PreferenceList(key, preferred);
            if (!preferred[..count].Contains(_view.SelfIndex))
            {
                return count == n;
            }

            var leaf = LeafOf(keyHash) - firstLeaf;
            foreach (var member in preferred[..count])
            {
                if (member == _view.SelfIndex)
                {
                    continue;
                }

                var peer = _view.Members[member].Id;
                ref var shared = ref CollectionsMarshal.GetValueRefOrAddDefault(_peers, peer, out _);
                shared ??= new PeerLeaves();
                shared.Shared += sharedDelta;
                shared.Leaves[leaf] ^= xor;
                shared.Included += includedDelta;
                if (shared.Shared == 0)
                {
                    _peers.Remove(peer);
                }
            }

            return false;
        }

        private void Rebuild(PlacementView view)
        {
            _view = view;
            _peers.Clear();
            _strays.Clear();
            Span<byte> keyHash = stackalloc byte[NodeId.ByteLength];
            foreach (var key in _entries.Keys)
            {
                ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
                if (entry.Has(EntryFlags.Removed))
                {
                    continue;
                }

                key.WriteTo(keyHash);
                var included = !entry.Has(EntryFlags.Young);
                var stray = Place(key, keyHash, 1, included ? LeafHash(keyHash, entry) : UInt128.Zero, included ? 1 : 0);
                entry.Set(EntryFlags.Stray, stray);
                if (stray)
                {
                    _strays.Add(key);
                }
            }
        }

        private void Settle(long nowMs)
        {
            Span<byte> keyHash = stackalloc byte[NodeId.ByteLength];
            while (_settling.TryPeek(out var key, out var at) && at <= nowMs)
            {
                _settling.Dequeue();
                ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
                if (Unsafe.IsNullRef(ref entry) || entry.Has(EntryFlags.Removed))
                {
                    continue;
                }

                if (!entry.Has(EntryFlags.Young))
                {
                    entry.Set(EntryFlags.Queued, false);
                    continue;
                }

                // Written again since it was queued: wait for the newer dot to settle.
                var settlesAt = SettlesAt(entry);
                if (settlesAt > nowMs)
                {
                    _settling.Enqueue(key, settlesAt);
                    continue;
                }

                entry.Set(EntryFlags.Young | EntryFlags.Queued, false);
                key.WriteTo(keyHash);
                Place(key, keyHash, 0, LeafHash(keyHash, entry), 1);
            }
        }

        private long SettlesAt(in Entry entry) => entry.NewestMs > long.MaxValue - settleMs ? long.MaxValue : entry.NewestMs + settleMs;
    }
}
