using BenchmarkDotNet.Attributes;
using DynamoKad.Kademlia;
using DynamoKad.Replication;

namespace DynamoKad.Benchmarks;

/// <summary>
/// Vector clocks with as many entries as coordinators wrote the key (3 in a 3-node cluster, up to the
/// pruning limit of 10): compare and merge run on every replica write and every read reconciliation.
/// </summary>
[MemoryDiagnoser]
public class VectorClockBenchmarks
{
    private VectorClock _older = VectorClock.Empty;
    private VectorClock _newer = VectorClock.Empty;
    private VectorClock _concurrent = VectorClock.Empty;
    private VersionClock _version = null!;
    private VersionClock _nextVersion = null!;
    private VersionedValue[] _siblings = [];

    [Params(3, 10)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var nodes = Enumerable.Range(0, Entries).Select(_ => NodeId.Random(random)).ToArray();
        _older = VectorClock.From(nodes.Select((n, i) => new ClockEntry(n, (ulong)(10 + i), 1_700_000_000_000 + i)));
        _newer = _older.Increment(nodes[0], 1_700_000_001_000);
        _concurrent = _older.Increment(nodes[^1], 1_700_000_001_000);
        _version = new VersionClock(new ClockEntry(nodes[0], 100, 1_700_000_001_000), _older);
        _nextVersion = new VersionClock(new ClockEntry(nodes[1], 101, 1_700_000_002_000), _version.ToVectorClock());
        var value = new byte[100];
        _siblings = [new VersionedValue(_version, value, false), new VersionedValue(_nextVersion, value, false)];
    }

    [Benchmark]
    public ClockOrder CompareDescends() => _newer.CompareTo(_older);

    [Benchmark]
    public ClockOrder CompareConcurrent() => _newer.CompareTo(_concurrent);

    [Benchmark]
    public VectorClock Merge() => _newer.Merge(_concurrent);

    /// <summary>A dotted version against its successor: what a replica does per stored sibling on a write.</summary>
    [Benchmark]
    public ClockOrder CompareDotted() => _version.CompareTo(_nextVersion);

    /// <summary>Reconcile an old version and the one that replaced it (the common replica write).</summary>
    [Benchmark]
    public int ReconcileTwo() => Siblings.Reconcile(_siblings).Count;

    [Benchmark]
    public byte[] EncodeVersionClock() => _nextVersion.Encode();
}
