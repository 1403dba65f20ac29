using System.Security.Cryptography;
using DynamoKad.Replication;

namespace DynamoKad.Tests.Replication;

public sealed class MerkleTreeTests
{
    private static List<(byte[] KeyHash, byte[] Digest)> Keys(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count)
            .Select(i => (SHA1.HashData(BitConverter.GetBytes(random.Next())), SHA256.HashData(BitConverter.GetBytes(i))))
            .OrderBy(k => Convert.ToHexString(k.Item1))];
    }

    [Fact]
    public void EqualContentGivesEqualRootsAndEmptyTreesAgree()
    {
        Assert.Equal(MerkleTree.Build(Keys(1, 200)).Root, MerkleTree.Build(Keys(1, 200)).Root);
        Assert.Equal(MerkleTree.Build([]).Root, MerkleTree.Build([]).Root);
        Assert.NotEqual(MerkleTree.Build(Keys(1, 200)).Root, MerkleTree.Build([]).Root);
    }

    [Fact]
    public void OneChangedKeyChangesExactlyThePathFromItsLeafToTheRoot()
    {
        var keys = Keys(7, 300);
        var changed = keys.ToList();
        changed[123] = (changed[123].KeyHash, SHA256.HashData([9]));
        var a = MerkleTree.Build(keys);
        var b = MerkleTree.Build(changed);
        var leaf = MerkleTree.LeafOf(keys[123].KeyHash);

        for (var level = MerkleTree.LeafBits; level >= 0; level--)
        {
            var onPath = leaf >> (MerkleTree.LeafBits - level);
            var differing = Enumerable.Range(0, 1 << level).Where(i => !a.GetHash(level, i).AsSpan().SequenceEqual(b.GetHash(level, i))).ToList();
            Assert.Equal([onPath], differing);
        }
    }

    [Fact]
    public void ALeafIsTheSameInAnyKeyOrderAndAKeyLeavesItByXor()
    {
        var keys = Keys(3, 300);
        var shuffled = keys.OrderBy(k => k.Digest[0]).ThenBy(k => k.Digest[1]).ToList();
        var leaf = MerkleTree.LeafOf(keys[42].KeyHash);
        var without = MerkleTree.Build(keys.Where((_, i) => i != 42)).GetHash(MerkleTree.LeafBits, leaf);
        var with = MerkleTree.Build(keys).GetHash(MerkleTree.LeafBits, leaf);

        Assert.Equal(MerkleTree.Build(keys).Root, MerkleTree.Build(shuffled).Root);
        Assert.Equal(
            System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(with) ^ MerkleTree.KeyLeafHash(keys[42].KeyHash, keys[42].Digest),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(without));
    }

    [Fact]
    public void LeafRangesTileTheHashSpaceInOrder()
    {
        var (from0, _) = LocalReplica.LeafRange(0);
        var (_, toLast) = LocalReplica.LeafRange(MerkleTree.LeafCount - 1);
        var (_, to5) = LocalReplica.LeafRange(5);
        var (from6, _) = LocalReplica.LeafRange(6);

        Assert.All(from0, b => Assert.Equal(0, b));
        Assert.Empty(toLast);
        Assert.Equal(to5, from6);
        Assert.Equal(6, MerkleTree.LeafOf(from6));
    }
}
