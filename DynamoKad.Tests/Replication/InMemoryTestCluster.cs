using DynamoKad.Kademlia;
using DynamoKad.Replication;
using Microsoft.Extensions.Time.Testing;

namespace DynamoKad.Tests.Replication;

/// <summary>N nodes over <see cref="InMemoryReplicaNetwork"/>: faults are seeded and take effect at once.</summary>
internal sealed class InMemoryTestCluster : ITestCluster
{
    private readonly Dictionary<NodeId, TestNode> _byId;

    public InMemoryTestCluster(int seed, int nodes, ReplicationOptions? options = null)
    {
        Seed = seed;
        Network = new InMemoryReplicaNetwork(seed);
        var members = TestClusterExtensions.NodeIds(seed, nodes).Select((id, i) => new ReplicaPeer(id, $"mem://node{i}")).ToList();
        Nodes = [.. members.Select(m => new TestNode(m, members, Network.ForNode(m.Id), options ?? TestClusterExtensions.DefaultOptions(), Time))];
        foreach (var node in Nodes)
        {
            Network.Register(node.Replica);
            Network.Register(node.Coordinator);
        }

        _byId = Nodes.ToDictionary(n => n.Id);
    }

    public int Seed { get; }

    public InMemoryReplicaNetwork Network { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public IReadOnlyList<TestNode> Nodes { get; }

    public TestNode this[NodeId id] => _byId[id];

    public Task KillAsync(NodeId id)
    {
        Network.Kill(id);
        return Task.CompletedTask;
    }

    public Task ReviveAsync(NodeId id)
    {
        Network.Revive(id);
        return Task.CompletedTask;
    }

    public void Partition(IEnumerable<NodeId> sideA, IEnumerable<NodeId> sideB) => Network.Partition(sideA, sideB);

    public void Heal() => Network.Heal();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
