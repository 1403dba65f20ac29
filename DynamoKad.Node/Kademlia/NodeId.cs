using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;

namespace DynamoKad.Kademlia;

/// <summary>
/// A 160-bit identifier in the Kademlia id space (Kademlia §2): node ids and key ids (SHA-1 of the key)
/// share one space, and the distance between two ids is their XOR read as an unsigned integer.
/// Stored as three machine words so XOR and comparison never allocate.
/// </summary>
public readonly struct NodeId : IEquatable<NodeId>, IComparable<NodeId>
{
    public const int BitLength = 160;
    public const int ByteLength = 20;

    // Big-endian: bytes 0..7 are _hi, 8..15 are _mid, 16..19 are _lo.
    private readonly ulong _hi;
    private readonly ulong _mid;
    private readonly uint _lo;

    private NodeId(ulong hi, ulong mid, uint lo)
    {
        _hi = hi;
        _mid = mid;
        _lo = lo;
    }

    public static NodeId Zero => default;

    public static NodeId Max => new(ulong.MaxValue, ulong.MaxValue, uint.MaxValue);

    public bool IsZero => _hi == 0 && _mid == 0 && _lo == 0;

    public static NodeId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength)
        {
            throw new ArgumentException($"A node id is {ByteLength} bytes; got {bytes.Length}.", nameof(bytes));
        }

        return new NodeId(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
    }

    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out NodeId id)
    {
        if (bytes.Length != ByteLength)
        {
            id = default;
            return false;
        }

        id = FromBytes(bytes);
        return true;
    }

    /// <summary>The id of a key: SHA-1 of its bytes (Dynamo places a key on the N nodes closest to it).</summary>
    public static NodeId ForKey(ReadOnlySpan<byte> key)
    {
        Span<byte> hash = stackalloc byte[ByteLength];
        SHA1.HashData(key, hash);
        return FromBytes(hash);
    }

    /// <summary>A uniformly random id from the given source (seeded in simulation, cryptographic in production).</summary>
    public static NodeId Random(Random random)
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        random.NextBytes(bytes);
        return FromBytes(bytes);
    }

    public static NodeId RandomSecure()
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        RandomNumberGenerator.Fill(bytes);
        return FromBytes(bytes);
    }

    public static NodeId Parse(string hex) =>
        TryParse(hex, out var id)
            ? id
            : throw new FormatException($"A node id is {ByteLength * 2} hex characters; got '{hex}'.");

    public static bool TryParse(string? hex, out NodeId id)
    {
        id = default;
        if (hex is null || hex.Length != ByteLength * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[ByteLength];
        var status = Convert.FromHexString(hex, bytes, out _, out var written);
        if (status != System.Buffers.OperationStatus.Done || written != ByteLength)
        {
            return false;
        }

        id = FromBytes(bytes);
        return true;
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _mid);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _lo);
    }

    public byte[] ToByteArray()
    {
        var bytes = new byte[ByteLength];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Kademlia §2.1: the distance between two ids is their bitwise XOR.</summary>
    public static NodeId operator ^(NodeId a, NodeId b) => new(a._hi ^ b._hi, a._mid ^ b._mid, a._lo ^ b._lo);

    public NodeId DistanceTo(NodeId other) => this ^ other;

    /// <summary>Number of leading zero bits (160 for the zero id).</summary>
    public int LeadingZeroCount()
    {
        if (_hi != 0)
        {
            return BitOperations.LeadingZeroCount(_hi);
        }

        if (_mid != 0)
        {
            return 64 + BitOperations.LeadingZeroCount(_mid);
        }

        return _lo != 0 ? 128 + BitOperations.LeadingZeroCount(_lo) : BitLength;
    }

    /// <summary>
    /// Kademlia §2.2: the k-bucket that <paramref name="other"/> falls into in this node's table,
    /// i.e. the index of the highest bit in which the ids differ (0..159), or -1 for the same id.
    /// </summary>
    public int BucketIndexOf(NodeId other) => BitLength - 1 - (this ^ other).LeadingZeroCount();

    /// <summary>Bit <paramref name="index"/> counted from the most significant (0) to the least (159).</summary>
    public bool GetBit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BitLength);
        return index switch
        {
            < 64 => ((_hi >> (63 - index)) & 1) != 0,
            < 128 => ((_mid >> (127 - index)) & 1) != 0,
            _ => ((_lo >> (159 - index)) & 1) != 0,
        };
    }

    /// <summary>A copy of this id with bit <paramref name="index"/> (0 = most significant) flipped.</summary>
    public NodeId FlipBit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BitLength);
        return index switch
        {
            < 64 => new NodeId(_hi ^ (1UL << (63 - index)), _mid, _lo),
            < 128 => new NodeId(_hi, _mid ^ (1UL << (127 - index)), _lo),
            _ => new NodeId(_hi, _mid, _lo ^ (1U << (159 - index))),
        };
    }

    /// <summary>This id as a fraction of the id space, in [0, 1): where it sits on the ring.</summary>
    public double ToRingFraction() => _hi / 18446744073709551616.0;

    public int CompareTo(NodeId other)
    {
        var c = _hi.CompareTo(other._hi);
        if (c != 0)
        {
            return c;
        }

        c = _mid.CompareTo(other._mid);
        return c != 0 ? c : _lo.CompareTo(other._lo);
    }

    public bool Equals(NodeId other) => _hi == other._hi && _mid == other._mid && _lo == other._lo;

    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_hi, _mid, _lo);

    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);

    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);

    public static bool operator <(NodeId left, NodeId right) => left.CompareTo(right) < 0;

    public static bool operator >(NodeId left, NodeId right) => left.CompareTo(right) > 0;

    public static bool operator <=(NodeId left, NodeId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(NodeId left, NodeId right) => left.CompareTo(right) >= 0;

    /// <summary>40 lowercase hex characters.</summary>
    public override string ToString() =>
        string.Create(ByteLength * 2, this, static (chars, id) =>
        {
            Span<byte> bytes = stackalloc byte[ByteLength];
            id.WriteTo(bytes);
            for (var i = 0; i < ByteLength; i++)
            {
                bytes[i].TryFormat(chars[(i * 2)..], out _, "x2", CultureInfo.InvariantCulture);
            }
        });

    /// <summary>The first <paramref name="hexChars"/> hex characters, for logs and tables.</summary>
    public string ToShortString(int hexChars = 8) => ToString()[..hexChars];
}
