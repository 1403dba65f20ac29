using BenchmarkDotNet.Attributes;
using DynamoKad.Kademlia;
using DynamoKad.Replication;
using DynamoKad.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DynamoKad.Benchmarks;

/// <summary>
/// The coordinator's whole put and get (N=3, R=2, W=2) over the in-memory replica network and in-memory
/// storage: what a request costs in CPU and allocations before any network or disk.
/// </summary>
[MemoryDiagnoser]
public class CoordinatorBenchmarks
{
    private readonly byte[] _value = new byte[100];
    private QuorumCoordinator _coordinator = null!;
    private byte[][] _keys = [];
    private string?[] _contexts = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var options = Options.Create(new ReplicationOptions { N = 3, R = 2, W = 2, ReadRepair = false });
        var network = new InMemoryReplicaNetwork(42);
        var codec = new CausalContextCodec("benchmark-secret");
        var members = Enumerable.Range(0, 3).Select(i => new ReplicaPeer(NodeId.Random(random), $"mem://node{i}")).ToList();
        var coordinators = new List<QuorumCoordinator>();
        foreach (var member in members)
        {
            var placement = new StaticReplicaPlacement(member.Id, members);
            var replica = new LocalReplica(new InMemoryStorageEngine(), placement, options, TimeProvider.System);
            network.Register(replica);
            coordinators.Add(new QuorumCoordinator(placement, network.ForNode(member.Id), replica, codec, options,
                new ReplicationMetrics(), TimeProvider.System, NullLogger<QuorumCoordinator>.Instance));
        }

        _coordinator = coordinators[0];
        _keys = [.. Enumerable.Range(0, 1024).Select(i => System.Text.Encoding.ASCII.GetBytes($"k{i:D15}"))];
        _contexts = new string?[_keys.Length];
        for (var i = 0; i < _keys.Length; i++)
        {
            _contexts[i] = _coordinator.PutAsync(_keys[i], _value, null, null, CancellationToken.None).GetAwaiter().GetResult().Context;
        }
    }

    /// <summary>A put that carries the context of the previous one: it replaces the key's single version.</summary>
    [Benchmark]
    public async Task<int> Put()
    {
        var i = _next++ & (_keys.Length - 1);
        var result = await _coordinator.PutAsync(_keys[i], _value, _contexts[i], null, CancellationToken.None);
        _contexts[i] = result.Context;
        return result.Acks;
    }

    [Benchmark]
    public async Task<int> Get()
    {
        var i = _next++ & (_keys.Length - 1);
        var result = await _coordinator.GetAsync(_keys[i], null, CancellationToken.None);
        return result.Siblings.Count;
    }
}
