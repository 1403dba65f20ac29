using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>
/// An immutable vector clock (Dynamo §4.4): per coordinating node, how many of its writes have been seen.
/// Entries are kept sorted by node id so equal clocks have equal encodings.
/// </summary>
public sealed class VectorClock : IEquatable<VectorClock>
{
    /// <summary>Bytes of one encoded entry: node id, counter, timestamp.</summary>
    public const int EntryBytes = NodeId.ByteLength + 8 + 8;

    private readonly ImmutableArray<ClockEntry> _entries;

    private VectorClock(ImmutableArray<ClockEntry> sortedEntries)
    {
        _entries = sortedEntries;
    }

    public static VectorClock Empty { get; } = new(ImmutableArray<ClockEntry>.Empty);

    public ImmutableArray<ClockEntry> Entries => _entries;

    public int Count => _entries.Length;

    /// <summary>The counter of <paramref name="node"/>, 0 when the clock has no entry for it.</summary>
    public ulong this[NodeId node]
    {
        get
        {
            var i = IndexOf(node);
            return i >= 0 ? _entries[i].Counter : 0;
        }
    }

    /// <summary>A clock from arbitrary entries; duplicates of a node keep the highest counter.</summary>
    public static VectorClock From(IEnumerable<ClockEntry> entries)
    {
        var clock = Empty;
        foreach (var entry in entries)
        {
            clock = clock.Observe(entry);
        }

        return clock;
    }

    /// <summary>Dynamo §4.4: the coordinator bumps its own counter for a new version.</summary>
    public VectorClock Increment(NodeId node, long timestampMs) =>
        Observe(new ClockEntry(node, this[node] + 1, timestampMs));

    /// <summary>This clock with <paramref name="entry"/> folded in: the node's counter becomes the larger of the two.</summary>
    public VectorClock Observe(ClockEntry entry)
    {
        var i = IndexOf(entry.Node);
        if (i >= 0)
        {
            var current = _entries[i];
            if (current.Counter > entry.Counter || (current.Counter == entry.Counter && current.TimestampMs >= entry.TimestampMs))
            {
                return this;
            }

            return new VectorClock(_entries.SetItem(i, entry));
        }

        return new VectorClock(_entries.Insert(~i, entry));
    }

    /// <summary>The least clock that both clocks happened before or equal: the pairwise maximum.</summary>
    /// <remarks>
    /// One pass over both sorted entry lists. When one clock already covers the other, that clock itself is the
    /// answer (no new clock); otherwise one array of the merged entries is the only allocation.
    /// </remarks>
    public VectorClock Merge(VectorClock other)
    {
        if (other.Count == 0 || ReferenceEquals(this, other))
        {
            return this;
        }

        if (Count == 0)
        {
            return other;
        }

        // First pass: whether the merge takes anything from either side, and how many entries it has.
        var mine = _entries.AsSpan();
        var theirs = other._entries.AsSpan();
        bool fromMine = false, fromTheirs = false;
        var count = 0;
        for (int i = 0, j = 0; i < mine.Length || j < theirs.Length; count++)
        {
            switch (Next(mine, theirs, ref i, ref j, out _))
            {
                case < 0:
                    fromMine = true;
                    break;
                case > 0:
                    fromTheirs = true;
                    break;
            }
        }

        if (!fromTheirs)
        {
            return this;
        }

        if (!fromMine)
        {
            return other;
        }

        var merged = new ClockEntry[count];
        for (int i = 0, j = 0, k = 0; k < count; k++)
        {
            Next(mine, theirs, ref i, ref j, out merged[k]);
        }

        return new VectorClock(ImmutableCollectionsMarshal.AsImmutableArray(merged));
    }

    /// <summary>
    /// The next entry of the merge of two sorted entry lists, and where it came from: below 0 only from
    /// <paramref name="mine"/> (or the larger of two for one node), above 0 only from <paramref name="theirs"/>, 0 for
    /// an entry both hold alike. For one node the larger counter wins, then the later timestamp (as in <see cref="Observe"/>).
    /// </summary>
    private static int Next(ReadOnlySpan<ClockEntry> mine, ReadOnlySpan<ClockEntry> theirs, ref int i, ref int j, out ClockEntry entry)
    {
        var c = i >= mine.Length ? 1 : j >= theirs.Length ? -1 : mine[i].Node.CompareTo(theirs[j].Node);
        if (c < 0)
        {
            entry = mine[i++];
            return -1;
        }

        if (c > 0)
        {
            entry = theirs[j++];
            return 1;
        }

        var a = mine[i++];
        var b = theirs[j++];
        if (a == b)
        {
            entry = a;
            return 0;
        }

        var keepMine = a.Counter > b.Counter || (a.Counter == b.Counter && a.TimestampMs >= b.TimestampMs);
        entry = keepMine ? a : b;
        return keepMine ? -1 : 1;
    }

    public ClockOrder CompareTo(VectorClock other)
    {
        var less = false;
        var greater = false;
        int i = 0, j = 0;
        while (i < _entries.Length || j < other._entries.Length)
        {
            int c;
            if (i >= _entries.Length)
            {
                c = 1;
            }
            else if (j >= other._entries.Length)
            {
                c = -1;
            }
            else
            {
                c = _entries[i].Node.CompareTo(other._entries[j].Node);
            }

            if (c < 0)
            {
                greater = true; // we have an entry the other lacks
                i++;
            }
            else if (c > 0)
            {
                less = true;
                j++;
            }
            else
            {
                var a = _entries[i].Counter;
                var b = other._entries[j].Counter;
                greater |= a > b;
                less |= a < b;
                i++;
                j++;
            }
        }

        return (less, greater) switch
        {
            (false, false) => ClockOrder.Equal,
            (true, false) => ClockOrder.Before,
            (false, true) => ClockOrder.After,
            _ => ClockOrder.Concurrent,
        };
    }

    /// <summary>
    /// Dynamo §4.4 and Riak: keep at most <paramref name="maxEntries"/> entries by dropping those whose
    /// last write is oldest. Dropping an entry can only make a later comparison see concurrency where
    /// there was order (an extra sibling), never order where there was concurrency (a lost write).
    /// </summary>
    public VectorClock Prune(int maxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxEntries);
        if (_entries.Length <= maxEntries)
        {
            return this;
        }

        var keep = _entries
            .OrderByDescending(e => e.TimestampMs)
            .ThenBy(e => e.Node)
            .Take(maxEntries)
            .OrderBy(e => e.Node);
        return new VectorClock([.. keep]);
    }

    public int EncodedLength => 2 + (_entries.Length * EntryBytes);

    /// <summary>Count (u16) then entries (node id, counter, timestamp), big-endian.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, checked((ushort)_entries.Length));
        var offset = 2;
        foreach (var entry in _entries)
        {
            entry.Node.WriteTo(destination[offset..]);
            BinaryPrimitives.WriteUInt64BigEndian(destination[(offset + NodeId.ByteLength)..], entry.Counter);
            BinaryPrimitives.WriteInt64BigEndian(destination[(offset + NodeId.ByteLength + 8)..], entry.TimestampMs);
            offset += EntryBytes;
        }
    }

    public byte[] ToByteArray()
    {
        var bytes = new byte[EncodedLength];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Reads a clock written by <see cref="WriteTo"/>; <paramref name="consumed"/> is its length.</summary>
    /// <exception cref="FormatException">Truncated, unsorted or duplicate entries.</exception>
    public static VectorClock Read(ReadOnlySpan<byte> source, out int consumed)
    {
        if (source.Length < 2)
        {
            throw new FormatException("A vector clock needs a 2-byte entry count.");
        }

        int count = BinaryPrimitives.ReadUInt16BigEndian(source);
        consumed = 2 + (count * EntryBytes);
        if (source.Length < consumed)
        {
            throw new FormatException($"A vector clock of {count} entries needs {consumed} bytes; got {source.Length}.");
        }

        if (count == 0)
        {
            return Empty;
        }

        // The array becomes the clock's own (no builder object per clock read).
        var entries = new ClockEntry[count];
        var offset = 2;
        for (var k = 0; k < count; k++)
        {
            var node = NodeId.FromBytes(source.Slice(offset, NodeId.ByteLength));
            var counter = BinaryPrimitives.ReadUInt64BigEndian(source[(offset + NodeId.ByteLength)..]);
            var timestamp = BinaryPrimitives.ReadInt64BigEndian(source[(offset + NodeId.ByteLength + 8)..]);
            if (k > 0 && entries[k - 1].Node >= node)
            {
                throw new FormatException("Vector clock entries must be sorted by node id without duplicates.");
            }

            entries[k] = new ClockEntry(node, counter, timestamp);
            offset += EntryBytes;
        }

        return new VectorClock(ImmutableCollectionsMarshal.AsImmutableArray(entries));
    }

    public bool Equals(VectorClock? other) =>
        other is not null && _entries.AsSpan().SequenceEqual(other._entries.AsSpan());

    public override bool Equals(object? obj) => Equals(obj as VectorClock);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var entry in _entries)
        {
            hash.Add(entry);
        }

        return hash.ToHashCode();
    }

    public override string ToString() =>
        "{" + string.Join(", ", _entries.Select(e => $"{e.Node.ToShortString()}:{e.Counter}")) + "}";

    private int IndexOf(NodeId node)
    {
        int lo = 0, hi = _entries.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = _entries[mid].Node.CompareTo(node);
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }
}
