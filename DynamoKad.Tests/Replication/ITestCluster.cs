using DynamoKad.Kademlia;
using DynamoKad.Replication;
using Microsoft.Extensions.Time.Testing;

namespace DynamoKad.Tests.Replication;

/// <summary>A replication cluster a scenario can break: the same scenarios run in memory and over gRPC.</summary>
internal interface ITestCluster : IAsyncDisposable
{
    int Seed { get; }

    FakeTimeProvider Time { get; }

    IReadOnlyList<TestNode> Nodes { get; }

    TestNode this[NodeId id] { get; }

    Task KillAsync(NodeId id);

    Task ReviveAsync(NodeId id);

    void Partition(IEnumerable<NodeId> sideA, IEnumerable<NodeId> sideB);

    void Heal();
}

internal static class TestClusterExtensions
{
    /// <summary>The ids of the N nodes a key belongs to, closest first.</summary>
    public static async Task<IReadOnlyList<NodeId>> PreferenceListAsync(this ITestCluster cluster, byte[] key, int n = 3) =>
        await cluster.Nodes[0].Coordinator.GetPreferenceListAsync(key, n, CancellationToken.None);

    public static async Task WhenIdleAsync(this ITestCluster cluster)
    {
        foreach (var node in cluster.Nodes)
        {
            await node.Coordinator.WhenBackgroundIdleAsync();
        }
    }

    public static ReplicationOptions DefaultOptions() => new()
    {
        N = 3,
        R = 2,
        W = 2,
        ReplicaTimeoutMs = 5000,
        TombstoneGraceMs = 60_000,
    };

    /// <summary>Node ids and addresses from a seeded source, so a failing seed replays the same ring.</summary>
    public static List<NodeId> NodeIds(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => NodeId.Random(random))];
    }
}
