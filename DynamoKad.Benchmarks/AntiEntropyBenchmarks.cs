using BenchmarkDotNet.Attributes;
using DynamoKad.Kademlia;
using DynamoKad.Replication;
using DynamoKad.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DynamoKad.Benchmarks;

/// <summary>
/// Anti-entropy's cost on one node of a 3-node cluster (N=3, in-memory network and storage) holding
/// <see cref="Keys"/> keys on every replica: a round, and one Merkle tree, each after a few writes (under write
/// load every round finds the keys changed since the last one). Static placement answers through LINQ, so where
/// a round looks up placement per key, these figures are an upper bound for a Kademlia-placed node.
/// <see cref="BuildIndex"/> is what start-up costs once: the anti-entropy index from one scan, and its trees.
/// </summary>
[MemoryDiagnoser]
public class AntiEntropyBenchmarks
{
    private static readonly DateTimeOffset Past = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<LocalReplica> _replicas = [];
    private readonly List<InMemoryStorageEngine> _storages = [];
    private StaticReplicaPlacement _placement = null!;
    private readonly byte[] _value = new byte[100];
    private AntiEntropy _antiEntropy = null!;
    private ReplicaPeer _peer = null!;
    private byte[][] _keys = [];
    private NodeId _writer;
    private ulong _counter;
    private int _next;

    [Params(10_000, 100_000)]
    public int Keys { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var options = Options.Create(new ReplicationOptions { N = 3, R = 2, W = 2 });
        var network = new InMemoryReplicaNetwork(42);
        var members = Enumerable.Range(0, 3).Select(i => new ReplicaPeer(NodeId.Random(random), $"mem://node{i}")).ToList();
        foreach (var member in members)
        {
            var storage = new InMemoryStorageEngine();
            var replica = new LocalReplica(storage, new StaticReplicaPlacement(member.Id, members), options, TimeProvider.System);
            network.Register(replica);
            _replicas.Add(replica);
            _storages.Add(storage);
        }

        _placement = new StaticReplicaPlacement(members[0].Id, members);

        _writer = members[0].Id;
        _peer = members[1];
        _antiEntropy = new AntiEntropy(_placement, network.ForNode(members[0].Id), _replicas[0],
            options, new ReplicationMetrics(), TimeProvider.System, NullLogger<AntiEntropy>.Instance);
        _keys = [.. Enumerable.Range(0, Keys).Select(i => System.Text.Encoding.ASCII.GetBytes($"k{i:D15}"))];
        foreach (var key in _keys)
        {
            WriteEverywhere(key);
        }

        // The first round (and the first tree) after start-up is not what a steady-state round costs.
        _antiEntropy.RunRoundAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>One round on node 0 after 0.1 % of the keys were written on every replica: nothing to repair.</summary>
    [Benchmark]
    public async Task<int> Round()
    {
        for (var i = 0; i < Keys / 1000; i++)
        {
            WriteEverywhere(_keys[_next++ % _keys.Length]);
        }

        return await _antiEntropy.RunRoundAsync(CancellationToken.None);
    }

    /// <summary>Node 0's Merkle tree for one peer, after one write.</summary>
    [Benchmark]
    public async Task<int> Tree()
    {
        WriteEverywhere(_keys[_next++ % _keys.Length]);
        return (await _replicas[0].GetTreeAsync(_peer.Id, CancellationToken.None)).KeyCount;
    }

    /// <summary>Node 0's anti-entropy index built from scratch (one scan of its storage), with its trees for one peer.</summary>
    [Benchmark]
    public async Task<int> BuildIndex()
    {
        var index = new ReplicaIndex(_storages[0], _placement, 3, 5000, TimeProvider.System);
        await index.WhenBuiltAsync(CancellationToken.None);
        return index.GetTree(_peer.Id).KeyCount;
    }

    /// <summary>
    /// A new version of <paramref name="key"/> replacing the one stored (its context covers every earlier dot of the
    /// writer), dotted in the past so it is settled, merged on every replica.
    /// </summary>
    private void WriteEverywhere(byte[] key)
    {
        var ms = Past.ToUnixTimeMilliseconds();
        var context = _counter == 0 ? VectorClock.Empty : VectorClock.From([new ClockEntry(_writer, _counter, ms)]);
        var version = new VersionedValue(new VersionClock(new ClockEntry(_writer, ++_counter, ms), context), _value, false);
        foreach (var replica in _replicas)
        {
            replica.MergeAsync(key, [version], CancellationToken.None).GetAwaiter().GetResult();
        }
    }
}
