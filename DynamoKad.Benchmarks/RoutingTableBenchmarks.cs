using BenchmarkDotNet.Attributes;
using DynamoKad.Kademlia;

namespace DynamoKad.Benchmarks;

/// <summary>
/// Kademlia §2.3: the k closest contacts to a key id, which placement asks for on every put and get
/// (N + fallback candidates). Tables of a small cluster and of a large one (k = 20, random ids).
/// </summary>
[MemoryDiagnoser]
public class RoutingTableBenchmarks
{
    private RoutingTable _table = null!;
    private NodeId[] _targets = [];
    private int _next;

    [Params(3, 1000)]
    public int Contacts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _table = new RoutingTable(NodeId.Random(random), 20, TimeProvider.System, TimeSpan.FromMinutes(15));
        for (var i = 0; i < Contacts; i++)
        {
            _table.Observe(new Contact(NodeId.Random(random), $"http://127.0.0.1:{10_000 + i}"));
        }

        _targets = [.. Enumerable.Range(0, 256).Select(_ => NodeId.Random(random))];
    }

    /// <summary>What placement asks for: N=3 plus 3 fallback candidates.</summary>
    [Benchmark]
    public int ClosestSix() => _table.Closest(_targets[_next++ & 255], 6).Count;

    /// <summary>A lookup round's k closest.</summary>
    [Benchmark]
    public int ClosestK() => _table.Closest(_targets[_next++ & 255], 20).Count;
}
