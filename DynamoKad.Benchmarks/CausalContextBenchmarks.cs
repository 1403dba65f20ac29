using BenchmarkDotNet.Attributes;
using DynamoKad.Kademlia;
using DynamoKad.Replication;

namespace DynamoKad.Benchmarks;

/// <summary>The signed causal context: encoded on every put and get answer, decoded on every put with a context.</summary>
[MemoryDiagnoser]
public class CausalContextBenchmarks
{
    private readonly CausalContextCodec _codec = new("benchmark-secret");
    private VectorClock _clock = VectorClock.Empty;
    private string _token = string.Empty;

    [Params(3, 10)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _clock = VectorClock.From(Enumerable.Range(0, Entries)
            .Select(i => new ClockEntry(NodeId.Random(random), (ulong)(1000 + i), 1_700_000_000_000 + i)));
        _token = _codec.Encode(_clock);
    }

    [Benchmark]
    public string Encode() => _codec.Encode(_clock);

    [Benchmark]
    public VectorClock Decode() => _codec.Decode(_token);
}
