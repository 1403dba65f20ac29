using System.Buffers.Binary;
using System.IO.Hashing;

namespace DynamoKad.Replication;

/// <summary>
/// Dynamo §4.7: a hash tree whose leaves are key-hash-prefix buckets (the top <see cref="LeafBits"/> bits of
/// SHA-1(key)), so two replicas compare the keys they share by exchanging a root, then descend only into
/// the subtrees whose hashes differ. Level 0 is the root; level <see cref="LeafBits"/> holds the leaves.
/// <para>
/// A leaf is the XOR of <see cref="KeyLeafHash"/> over its keys: independent of order and updatable in O(1) (XOR a
/// key's old hash out and its new one in), which is what lets <see cref="ReplicaIndex"/> keep trees current on every
/// write instead of rebuilding them from a scan. An interior node hashes its two children; an empty subtree hashes
/// to zeros, so trees over disjoint empty ranges agree without work. The hash is XxHash128: the tree only has to
/// tell replicas that hold different versions apart, and both sides of an exchange compute it the same way.
/// </para>
/// </summary>
public sealed class MerkleTree
{
    public const int LeafBits = 10;
    public const int LeafCount = 1 << LeafBits;
    public const int HashBytes = 16;

    private const int MaxDigestBytes = 64;

    // _levels[level][index]; the leaves are the array the tree was made from.
    private readonly UInt128[][] _levels;

    private MerkleTree(UInt128[] leaves, int keyCount)
    {
        _levels = new UInt128[LeafBits + 1][];
        _levels[LeafBits] = leaves;
        Span<byte> pair = stackalloc byte[2 * HashBytes];
        for (var level = LeafBits - 1; level >= 0; level--)
        {
            var below = _levels[level + 1];
            var here = new UInt128[1 << level];
            for (var i = 0; i < here.Length; i++)
            {
                var (left, right) = (below[2 * i], below[(2 * i) + 1]);
                if (left == UInt128.Zero && right == UInt128.Zero)
                {
                    continue;
                }

                BinaryPrimitives.WriteUInt128BigEndian(pair, left);
                BinaryPrimitives.WriteUInt128BigEndian(pair[HashBytes..], right);
                here[i] = XxHash128.HashToUInt128(pair);
            }

            _levels[level] = here;
        }

        KeyCount = keyCount;
    }

    /// <summary>The keys the tree covers.</summary>
    public int KeyCount { get; }

    public byte[] Root => GetHash(0, 0);

    /// <summary>The leaf a key falls into: the top <see cref="LeafBits"/> bits of its hash.</summary>
    public static int LeafOf(ReadOnlySpan<byte> keyHash) => ((keyHash[0] << 8) | keyHash[1]) >> (16 - LeafBits);

    /// <summary>What one key contributes to its leaf: a hash of its key hash and the digest of its versions.</summary>
    public static UInt128 KeyLeafHash(ReadOnlySpan<byte> keyHash, ReadOnlySpan<byte> digest)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digest.Length, MaxDigestBytes);
        Span<byte> both = stackalloc byte[keyHash.Length + digest.Length];
        keyHash.CopyTo(both);
        digest.CopyTo(both[keyHash.Length..]);
        return XxHash128.HashToUInt128(both);
    }

    /// <summary>The tree over (key hash, key digest) pairs, in any order.</summary>
    public static MerkleTree Build(IEnumerable<(byte[] KeyHash, byte[] Digest)> keys)
    {
        var leaves = new UInt128[LeafCount];
        var count = 0;
        foreach (var (keyHash, digest) in keys)
        {
            leaves[LeafOf(keyHash)] ^= KeyLeafHash(keyHash, digest);
            count++;
        }

        return new MerkleTree(leaves, count);
    }

    /// <summary>The tree over leaves already combined (<see cref="LeafCount"/> of them); the tree keeps the array.</summary>
    public static MerkleTree FromLeaves(UInt128[] leaves, int keyCount)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(leaves.Length, LeafCount);
        return new MerkleTree(leaves, keyCount);
    }

    /// <summary>The hash of node <paramref name="index"/> of <paramref name="level"/>, <see cref="HashBytes"/> bytes.</summary>
    public byte[] GetHash(int level, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, LeafBits);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, 1 << level);
        var hash = new byte[HashBytes];
        BinaryPrimitives.WriteUInt128BigEndian(hash, _levels[level][index]);
        return hash;
    }
}
