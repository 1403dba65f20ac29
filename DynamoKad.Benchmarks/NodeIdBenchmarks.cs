using BenchmarkDotNet.Attributes;
using DynamoKad.Kademlia;

namespace DynamoKad.Benchmarks;

/// <summary>Kademlia's arithmetic: XOR distance, bucket index, and the key id every request starts with.</summary>
[MemoryDiagnoser]
public class NodeIdBenchmarks
{
    private NodeId _self;
    private NodeId _other;
    private byte[] _key = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _self = NodeId.Random(random);
        _other = NodeId.Random(random);
        _key = new byte[16];
        random.NextBytes(_key);
    }

    [Benchmark]
    public NodeId XorDistance() => _self.DistanceTo(_other);

    [Benchmark]
    public int BucketIndex() => _self.BucketIndexOf(_other);

    [Benchmark]
    public int CompareDistances() => (_self ^ _other).CompareTo(_self ^ NodeId.Max);

    /// <summary>SHA-1 of a 16-byte key: once per put and get on the coordinator.</summary>
    [Benchmark]
    public NodeId KeyId() => NodeId.ForKey(_key);
}
