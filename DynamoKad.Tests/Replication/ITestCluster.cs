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
        // The scenarios run anti-entropy in the same fake instant as their writes; the settle time has its own test.
        AntiEntropySettleMs = 0,
    };

    /// <summary>Node ids and addresses from a seeded source, so a failing seed replays the same ring.</summary>
    public static List<NodeId> NodeIds(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => NodeId.Random(random))];
    }

    /// <summary>Every key's preferred replicas hold identical versions, and every pair of nodes has the same Merkle root over what they share.</summary>
    public static async Task<bool> ConvergedAsync(this ITestCluster cluster, IEnumerable<string> keys)
    {
        foreach (var key in keys.Distinct())
        {
            var digests = new List<string>();
            foreach (var id in await cluster.PreferenceListAsync(System.Text.Encoding.UTF8.GetBytes(key)))
            {
                digests.Add(Convert.ToHexString(Siblings.Digest(await cluster[id].LocalVersionsAsync(System.Text.Encoding.UTF8.GetBytes(key)))));
            }

            if (digests.Distinct().Count() != 1)
            {
                return false;
            }
        }

        foreach (var a in cluster.Nodes)
        {
            foreach (var b in cluster.Nodes.Where(b => b != a))
            {
                var mine = await a.Replica.GetTreeAsync(b.Id, CancellationToken.None);
                var theirs = await b.Replica.GetTreeAsync(a.Id, CancellationToken.None);
                if (!mine.Root.AsSpan().SequenceEqual(theirs.Root))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
