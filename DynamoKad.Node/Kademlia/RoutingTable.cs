namespace DynamoKad.Kademlia;

/// <summary>
/// Kademlia §2.2: the node's view of the overlay, 160 k-buckets indexed by
/// <see cref="NodeId.BucketIndexOf"/> (bucket i holds contacts at XOR distance [2^i, 2^(i+1))).
/// Never contains the owner itself. Thread-safe: one lock, held only for in-memory work.
/// </summary>
public sealed class RoutingTable
{
    private readonly KBucket?[] _buckets = new KBucket?[NodeId.BitLength];
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _staleContactAfter;
    private readonly List<int> _created = []; // indices of the buckets that exist, ascending
    private int _count;

    public RoutingTable(NodeId self, int k, TimeProvider time, TimeSpan staleContactAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        Self = self;
        K = k;
        _time = time;
        _staleContactAfter = staleContactAfter;
    }

    public NodeId Self { get; }

    public int K { get; }

    /// <summary>Contacts in the buckets (not counting replacement caches).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>
    /// Records that <paramref name="contact"/> is alive (any RPC to or from it). Returns the
    /// least-recently-seen contact of a full bucket when the caller must ping it and report the outcome
    /// with <see cref="CompleteProbe"/> (Kademlia §2.2); null otherwise. Ignores the owner's own id.
    /// </summary>
    public Contact? Observe(Contact contact)
    {
        var index = Self.BucketIndexOf(contact.Id);
        if (index < 0)
        {
            return null;
        }

        lock (_lock)
        {
            var bucket = _buckets[index] ?? CreateBucket(index);
            var before = bucket.Count;
            var probe = bucket.Observe(contact, _time.GetUtcNow(), _staleContactAfter);
            _count += bucket.Count - before;
            return probe;
        }
    }

    /// <summary>The outcome of a ping requested by <see cref="Observe"/>: an unanswered contact is evicted for the newest replacement.</summary>
    public void CompleteProbe(Contact probed, bool answered)
    {
        var index = Self.BucketIndexOf(probed.Id);
        if (index < 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_buckets[index] is { } bucket)
            {
                var before = bucket.Count;
                bucket.CompleteProbe(probed, answered, _time.GetUtcNow());
                _count += bucket.Count - before;
            }
        }
    }

    /// <summary>
    /// A contact did not answer an RPC sent at <paramref name="askedAt"/> (default: now): remove it, promoting the
    /// most recently seen replacement (Kademlia §4.1), unless it was heard from after that RPC went out. It comes
    /// back as soon as it is heard from again.
    /// </summary>
    public bool MarkFailed(NodeId id, DateTimeOffset? askedAt = null)
    {
        var index = Self.BucketIndexOf(id);
        if (index < 0)
        {
            return false;
        }

        lock (_lock)
        {
            if (_buckets[index] is not { } bucket)
            {
                return false;
            }

            var before = bucket.Count;
            var removed = bucket.RemoveUnlessHeardSince(id, askedAt ?? _time.GetUtcNow());
            _count += bucket.Count - before;
            return removed;
        }
    }

    public bool Contains(NodeId id)
    {
        var index = Self.BucketIndexOf(id);
        lock (_lock)
        {
            return index >= 0 && _buckets[index] is { } bucket && bucket.Contains(id);
        }
    }

    /// <summary>
    /// The <paramref name="count"/> known contacts closest to <paramref name="target"/> by XOR distance,
    /// closest first, excluding the owner (never in the table) and <paramref name="exclude"/>.
    /// Each bucket is one contiguous band of distances from the target, so the buckets are visited in
    /// distance order and the walk stops at the first bucket that completes the count; only the
    /// contacts collected are sorted. With d = self XOR target and b its highest bit (the target's
    /// bucket): bucket b first, then the buckets i &lt; b where bit i of d is set (descending i), then
    /// those where it is clear (ascending i), then buckets b+1, b+2, ... up to 159.
    /// </summary>
    public List<Contact> Closest(NodeId target, int count, NodeId? exclude = null)
    {
        var skip = exclude ?? Self;
        var d = Self ^ target;
        var b = Self.BucketIndexOf(target);
        List<Contact> result;
        lock (_lock)
        {
            result = new List<Contact>(Math.Min(count + K, _count));
            // Only existing buckets are visited: a few dozen at most, whatever the table's size.
            var created = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_created);
            var split = created.BinarySearch(b);
            var below = split < 0 ? ~split : split; // created[..below] are the buckets under b
            if (b >= 0)
            {
                _buckets[b]?.AddContactsTo(result, skip);
                for (var j = below - 1; j >= 0 && result.Count < count; j--)
                {
                    if (d.GetBit(NodeId.BitLength - 1 - created[j]))
                    {
                        _buckets[created[j]]!.AddContactsTo(result, skip);
                    }
                }

                for (var j = 0; j < below && result.Count < count; j++)
                {
                    if (!d.GetBit(NodeId.BitLength - 1 - created[j]))
                    {
                        _buckets[created[j]]!.AddContactsTo(result, skip);
                    }
                }
            }

            for (var j = split < 0 ? ~split : split + 1; j < created.Length && result.Count < count; j++)
            {
                _buckets[created[j]]!.AddContactsTo(result, skip);
            }
        }

        SortByDistance(result, target);
        if (result.Count > count)
        {
            result.RemoveRange(count, result.Count - count);
        }

        return result;
    }

    /// <summary>Sorts <paramref name="contacts"/> by XOR distance to <paramref name="target"/>, closest first.</summary>
    public static void SortByDistance(List<Contact> contacts, NodeId target) => SortByDistance(contacts, static c => c.Id, target);

    /// <summary>Sorts <paramref name="items"/> by the XOR distance of their <paramref name="id"/> to <paramref name="target"/>, closest first.</summary>
    public static void SortByDistance<T>(List<T> items, Func<T, NodeId> id, NodeId target)
    {
        if (items.Count < 2)
        {
            return;
        }

        // Distances computed once each, then one keyed sort: this runs on every FIND_NODE a node answers and on
        // every request's preference list.
        var keys = new NodeId[items.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = id(items[i]) ^ target;
        }

        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(items);
        keys.AsSpan().Sort(span);
    }

    /// <summary>Notes a lookup of <paramref name="target"/>: its bucket counts as refreshed (Kademlia §2.3).</summary>
    public void TouchBucketFor(NodeId target)
    {
        var index = Self.BucketIndexOf(target);
        if (index < 0)
        {
            return;
        }

        lock (_lock)
        {
            (_buckets[index] ?? CreateBucket(index)).LastLookup = _time.GetUtcNow();
        }
    }

    /// <summary>
    /// Buckets that need a refresh lookup: from the bucket of the closest known contact upwards (lower
    /// buckets are ranges too small to hold anyone we could find), not looked up within <paramref name="interval"/>.
    /// </summary>
    public List<int> BucketsToRefresh(TimeSpan interval)
    {
        var now = _time.GetUtcNow();
        var result = new List<int>();
        lock (_lock)
        {
            var lowest = Array.FindIndex(_buckets, x => x is { Count: > 0 });
            if (lowest < 0)
            {
                return result;
            }

            for (var i = lowest; i < NodeId.BitLength; i++)
            {
                if (_buckets[i] is not { } bucket || now - bucket.LastLookup >= interval)
                {
                    result.Add(i);
                }
            }
        }

        return result;
    }

    /// <summary>The index of the lowest non-empty bucket (where the closest neighbour lives), or -1 for an empty table.</summary>
    public int LowestOccupiedBucket
    {
        get
        {
            lock (_lock)
            {
                return Array.FindIndex(_buckets, x => x is { Count: > 0 });
            }
        }
    }

    /// <summary>A uniformly random id that falls in bucket <paramref name="index"/> of <paramref name="self"/>.</summary>
    public static NodeId RandomIdInBucket(NodeId self, int index, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, NodeId.BitLength);
        Span<byte> selfBytes = stackalloc byte[NodeId.ByteLength];
        Span<byte> bytes = stackalloc byte[NodeId.ByteLength];
        self.WriteTo(selfBytes);
        random.NextBytes(bytes);
        // Bits above `index` (counted from the least significant) come from self, bit `index` differs.
        var firstRandomBit = NodeId.BitLength - index; // msb-numbered position just after the flipped bit
        for (var bit = 0; bit < firstRandomBit; bit++)
        {
            var mask = (byte)(0x80 >> (bit % 8));
            var fromSelf = (selfBytes[bit / 8] & mask) != 0;
            var value = bit == firstRandomBit - 1 ? !fromSelf : fromSelf;
            bytes[bit / 8] = (byte)(value ? bytes[bit / 8] | mask : bytes[bit / 8] & ~mask);
        }

        return NodeId.FromBytes(bytes);
    }

    /// <summary>A consistent copy of every non-empty bucket, for the Admin API and the dashboard.</summary>
    public RoutingTableSnapshot Snapshot()
    {
        var buckets = new List<BucketSnapshot>();
        lock (_lock)
        {
            foreach (var bucket in _buckets)
            {
                if (bucket is null || (bucket.Count == 0 && !bucket.Replacements.Any()))
                {
                    continue;
                }

                buckets.Add(new BucketSnapshot(
                    bucket.Index,
                    [.. bucket.Entries.Select(e => new ContactSnapshot(e.Contact, e.LastSeen))],
                    [.. bucket.Replacements],
                    bucket.LastLookup));
            }
        }

        return new RoutingTableSnapshot(Self, K, buckets);
    }

    private KBucket CreateBucket(int index)
    {
        var bucket = new KBucket(index, K, ReplacementCapacity);
        _buckets[index] = bucket;
        var at = _created.BinarySearch(index);
        _created.Insert(~at, index);
        return bucket;
    }

    // Kademlia §4.1 leaves the size open; a few newcomers are enough to refill a bucket after a failure.
    private int ReplacementCapacity => Math.Max(1, K / 4);
}
