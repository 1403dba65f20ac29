using System.Security.Cryptography;

namespace DynamoKad.Replication;

/// <summary>
/// Dynamo §4.7: a hash tree whose leaves are key-hash-prefix buckets (the top <see cref="LeafBits"/> bits of
/// SHA-1(key)), so two replicas compare the keys they share by exchanging a root, then descend only into
/// the subtrees whose hashes differ. Level 0 is the root; level <see cref="LeafBits"/> holds the leaves.
/// An empty subtree hashes to zeros, so trees over disjoint empty ranges agree without work.
/// </summary>
public sealed class MerkleTree
{
    public const int LeafBits = 10;
    public const int LeafCount = 1 << LeafBits;
    public const int HashBytes = 32;

    private readonly byte[][] _levels;

    private MerkleTree(byte[][] levels, int keyCount)
    {
        _levels = levels;
        KeyCount = keyCount;
    }

    public int KeyCount { get; }

    public byte[] Root => GetHash(0, 0);

    /// <summary>The leaf a key falls into: the top <see cref="LeafBits"/> bits of its hash.</summary>
    public static int LeafOf(ReadOnlySpan<byte> keyHash) => ((keyHash[0] << 8) | keyHash[1]) >> (16 - LeafBits);

    /// <summary>Builds the tree from (key hash, key digest) pairs in key-hash order (as storage scans yield them).</summary>
    public static MerkleTree Build(IEnumerable<(byte[] KeyHash, byte[] Digest)> keys)
    {
        var levels = new byte[LeafBits + 1][];
        for (var level = 0; level <= LeafBits; level++)
        {
            levels[level] = new byte[(1 << level) * HashBytes];
        }

        var leaves = levels[LeafBits];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var currentLeaf = -1;
        var count = 0;
        foreach (var (keyHash, digest) in keys)
        {
            var leaf = LeafOf(keyHash);
            if (leaf != currentLeaf)
            {
                if (currentLeaf >= 0)
                {
                    hash.GetHashAndReset(leaves.AsSpan(currentLeaf * HashBytes, HashBytes));
                }

                currentLeaf = leaf;
            }

            hash.AppendData(keyHash);
            hash.AppendData(digest);
            count++;
        }

        if (currentLeaf >= 0)
        {
            hash.GetHashAndReset(leaves.AsSpan(currentLeaf * HashBytes, HashBytes));
        }

        Span<byte> pair = stackalloc byte[HashBytes * 2];
        for (var level = LeafBits - 1; level >= 0; level--)
        {
            var below = levels[level + 1];
            var here = levels[level];
            for (var i = 0; i < 1 << level; i++)
            {
                var children = below.AsSpan(i * 2 * HashBytes, 2 * HashBytes);
                if (!children.ContainsAnyExcept((byte)0))
                {
                    continue;
                }

                children.CopyTo(pair);
                SHA256.HashData(pair, here.AsSpan(i * HashBytes, HashBytes));
            }
        }

        return new MerkleTree(levels, count);
    }

    public byte[] GetHash(int level, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, LeafBits);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, 1 << level);
        return _levels[level].AsSpan(index * HashBytes, HashBytes).ToArray();
    }
}
