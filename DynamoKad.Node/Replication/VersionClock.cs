using System.Buffers.Binary;
using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>
/// The clock of one stored version: a dotted version vector (Preguiça et al., "Dotted Version Vectors").
/// <see cref="Dot"/> names this write alone (coordinator, counter); <see cref="Context"/> is the vector
/// clock the client read before writing, i.e. every version it had seen. A version is dominated exactly
/// when its dot lies inside another version's context. A plain per-version vector clock cannot tell two
/// blind writes through one coordinator apart from an overwrite ({C:2} would dominate {C:1} and silently
/// drop it); with a dot, they stay concurrent and both survive as siblings.
/// </summary>
public sealed class VersionClock : IEquatable<VersionClock>
{
    /// <summary>The first byte of every encoded clock, so the format can change later.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Where the dot's timestamp (Unix ms, big-endian i64) sits in <see cref="Encode"/>'s bytes.</summary>
    public const int DotTimestampOffset = 1 + NodeId.ByteLength + 8;

    // The encoding, made once (or kept from the bytes this clock was decoded from) and shared by every caller.
    private byte[]? _encoded;

    public VersionClock(ClockEntry dot, VectorClock context)
    {
        Dot = dot;
        Context = context;
    }

    public ClockEntry Dot { get; }

    public VectorClock Context { get; }

    /// <summary>Whether <paramref name="clock"/> has seen this version's write.</summary>
    public bool IsCoveredBy(VectorClock clock) => clock[Dot.Node] >= Dot.Counter;

    public bool SameDot(VersionClock other) => Dot.Node == other.Dot.Node && Dot.Counter == other.Dot.Counter;

    public ClockOrder CompareTo(VersionClock other)
    {
        if (SameDot(other))
        {
            return ClockOrder.Equal;
        }

        if (IsCoveredBy(other.Context))
        {
            return ClockOrder.Before;
        }

        return other.IsCoveredBy(Context) ? ClockOrder.After : ClockOrder.Concurrent;
    }

    /// <summary>Everything this version has seen, itself included: what a read folds into its causal context.</summary>
    public VectorClock ToVectorClock() => Context.Observe(Dot);

    /// <summary>
    /// The clock's bytes: made on the first call, or those it was decoded from, and the same array on every call
    /// after, so a version stored on this node and sent to its replicas is encoded once. Callers must not mutate it.
    /// </summary>
    public byte[] Encode() => Volatile.Read(ref _encoded) ?? (_encoded = EncodeNew());

    private byte[] EncodeNew()
    {
        var bytes = new byte[1 + VectorClock.EntryBytes + Context.EncodedLength];
        bytes[0] = FormatVersion;
        Dot.Node.WriteTo(bytes.AsSpan(1));
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(1 + NodeId.ByteLength), Dot.Counter);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(1 + NodeId.ByteLength + 8), Dot.TimestampMs);
        Context.WriteTo(bytes.AsSpan(1 + VectorClock.EntryBytes));
        return bytes;
    }

    /// <summary>
    /// The dot's timestamp straight from <see cref="Encode"/>'s bytes, without decoding the context;
    /// <see cref="long.MaxValue"/> (newer than anything) for bytes too short to hold one.
    /// </summary>
    public static long ReadDotTimestampMs(ReadOnlySpan<byte> encoded) =>
        encoded.Length < DotTimestampOffset + 8 ? long.MaxValue : BinaryPrimitives.ReadInt64BigEndian(encoded[DotTimestampOffset..]);

    /// <summary>
    /// <see cref="Decode(ReadOnlySpan{byte})"/>, keeping <paramref name="bytes"/> as the clock's encoding (the caller
    /// must not mutate them after). Decoding accepts only the canonical form (sorted entries, no trailing bytes), so
    /// <see cref="Encode"/> would make exactly these bytes again.
    /// </summary>
    /// <exception cref="FormatException">The bytes are not a clock this code wrote.</exception>
    public static VersionClock Decode(byte[] bytes)
    {
        var clock = Decode(bytes.AsSpan());
        clock._encoded = bytes;
        return clock;
    }

    /// <summary>
    /// Whether this clock's version supersedes the version whose clock is <paramref name="encoded"/>, and that version
    /// does not supersede this one: exactly when <see cref="CompareTo"/> of the decoded clock would be
    /// <see cref="ClockOrder.Before"/> and this one's not, read from the bytes without decoding them. Null when the
    /// bytes' format byte or lengths are not a clock's (decoding them would throw).
    /// </summary>
    public bool? Supersedes(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length < 1 + VectorClock.EntryBytes + 2 || encoded[0] != FormatVersion)
        {
            return null;
        }

        var node = NodeId.FromBytes(encoded.Slice(1, NodeId.ByteLength));
        var counter = BinaryPrimitives.ReadUInt64BigEndian(encoded[(1 + NodeId.ByteLength)..]);
        var context = encoded[(1 + VectorClock.EntryBytes)..];
        int count = BinaryPrimitives.ReadUInt16BigEndian(context);
        if (context.Length != 2 + (count * VectorClock.EntryBytes))
        {
            return null;
        }

        if (node == Dot.Node && counter == Dot.Counter)
        {
            return false; // the same version
        }

        // The other version has seen this one when its context counts this dot's node at or past this dot.
        ulong seen = 0;
        for (var k = 0; k < count; k++)
        {
            var entry = context.Slice(2 + (k * VectorClock.EntryBytes), VectorClock.EntryBytes);
            if (NodeId.FromBytes(entry[..NodeId.ByteLength]) == Dot.Node)
            {
                seen = BinaryPrimitives.ReadUInt64BigEndian(entry[NodeId.ByteLength..]);
                break;
            }
        }

        return seen < Dot.Counter && Context[node] >= counter;
    }

    /// <exception cref="FormatException">The bytes are not a clock this code wrote.</exception>
    public static VersionClock Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 1 + VectorClock.EntryBytes + 2)
        {
            throw new FormatException($"A version clock is at least {1 + VectorClock.EntryBytes + 2} bytes; got {bytes.Length}.");
        }

        if (bytes[0] != FormatVersion)
        {
            throw new FormatException($"Unknown version clock format {bytes[0]}.");
        }

        var dot = new ClockEntry(
            NodeId.FromBytes(bytes.Slice(1, NodeId.ByteLength)),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[(1 + NodeId.ByteLength)..]),
            BinaryPrimitives.ReadInt64BigEndian(bytes[(1 + NodeId.ByteLength + 8)..]));
        var context = VectorClock.Read(bytes[(1 + VectorClock.EntryBytes)..], out var consumed);
        if (1 + VectorClock.EntryBytes + consumed != bytes.Length)
        {
            throw new FormatException("Trailing bytes after a version clock.");
        }

        return new VersionClock(dot, context);
    }

    public bool Equals(VersionClock? other) => other is not null && SameDot(other) && Context.Equals(other.Context);

    public override bool Equals(object? obj) => Equals(obj as VersionClock);

    public override int GetHashCode() => HashCode.Combine(Dot.Node, Dot.Counter);

    public override string ToString() => $"{Dot.Node.ToShortString()}:{Dot.Counter} after {Context}";
}
