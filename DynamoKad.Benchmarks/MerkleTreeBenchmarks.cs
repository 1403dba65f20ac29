using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using DynamoKad.Replication;

namespace DynamoKad.Benchmarks;

/// <summary>
/// Anti-entropy's local work: build the tree over a replica's keys, then descend two trees level by level
/// into differing subtrees only, as <see cref="AntiEntropy"/> does across the network (here both in memory).
/// </summary>
[MemoryDiagnoser]
public class MerkleTreeBenchmarks
{
    private (byte[] KeyHash, byte[] Digest)[] _keys = [];
    private MerkleTree _ours = null!;
    private MerkleTree _theirs = null!;

    [Params(10_000, 100_000)]
    public int Keys { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _keys = Enumerable.Range(0, Keys)
            .Select(i => (SHA1.HashData(BitConverter.GetBytes(i)), RandomBytes(random, 32)))
            .OrderBy(k => k.Item1, ByteArrayComparer.Instance)
            .ToArray();
        _ours = MerkleTree.Build(_keys);

        // 1% of the keys differ on the other replica.
        var theirs = _keys.ToArray();
        for (var i = 0; i < theirs.Length; i += 100)
        {
            theirs[i] = (theirs[i].KeyHash, RandomBytes(random, 32));
        }

        _theirs = MerkleTree.Build(theirs);
    }

    [Benchmark]
    public int Build() => MerkleTree.Build(_keys).KeyCount;

    [Benchmark]
    public int Diff()
    {
        var differing = new List<int> { 0 };
        for (var level = 0; level <= MerkleTree.LeafBits && differing.Count > 0; level++)
        {
            var next = new List<int>();
            foreach (var index in differing)
            {
                if (_ours.GetHash(level, index).AsSpan().SequenceEqual(_theirs.GetHash(level, index)))
                {
                    continue;
                }

                if (level == MerkleTree.LeafBits)
                {
                    next.Add(index);
                }
                else
                {
                    next.Add(index * 2);
                    next.Add((index * 2) + 1);
                }
            }

            if (level == MerkleTree.LeafBits)
            {
                return next.Count;
            }

            differing = next;
        }

        return 0;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private sealed class ByteArrayComparer : IComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
