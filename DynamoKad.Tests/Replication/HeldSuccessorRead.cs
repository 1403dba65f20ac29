using System.Text;
using DynamoKad.Kademlia;
using DynamoKad.Replication;

namespace DynamoKad.Tests.Replication;

/// <summary>
/// The hedge tests' setting: a 3-node in-memory cluster holding <c>key = "v"</c>, and node 1 seen through a network
/// on which its reads to its ring successor (the replica a read asks beside itself) wait for <see cref="Hang"/>, so
/// only a hedge to <see cref="Third"/> can complete them.
/// </summary>
internal sealed class HeldSuccessorRead
{
    private HeldSuccessorRead(InMemoryTestCluster cluster, TestNode node, NodeId third, TaskCompletionSource<IReadOnlyList<VersionedValue>> hang)
    {
        Cluster = cluster;
        Node = node;
        Third = third;
        Hang = hang;
    }

    public InMemoryTestCluster Cluster { get; }

    /// <summary>Node 1, on the holding network (its storage is the cluster's node 1's).</summary>
    public TestNode Node { get; }

    /// <summary>The preferred replica node 1's reads do not ask first: where a hedge goes.</summary>
    public NodeId Third { get; }

    /// <summary>What the held reads answer, once set.</summary>
    public TaskCompletionSource<IReadOnlyList<VersionedValue>> Hang { get; }

    /// <param name="onlyThisKey">Hold only reads of <paramref name="key"/>; others answer as usual.</param>
    /// <param name="clock">The node's clock, made from the cluster's (default: the cluster's own).</param>
    public static async Task<HeldSuccessorRead> CreateAsync(int seed, byte[] key, bool onlyThisKey = false, Func<TimeProvider, TimeProvider>? clock = null)
    {
        var cluster = new InMemoryTestCluster(seed, nodes: 3);
        await cluster.Nodes[0].Coordinator.PutAsync(key, Encoding.UTF8.GetBytes("v"), null, null, CancellationToken.None);
        var ring = cluster.Nodes.Select(n => n.Id).Order().ToList();
        var self = cluster.Nodes[1];
        var successor = ring[(ring.IndexOf(self.Id) + 1) % ring.Count];
        var third = ring.Single(id => id != self.Id && id != successor);

        var hang = new TaskCompletionSource<IReadOnlyList<VersionedValue>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var network = new ReadHoldingNetwork(cluster.Network.ForNode(self.Id), successor, hang.Task, onlyThisKey ? key : null);
        var time = clock?.Invoke(cluster.Time) ?? cluster.Time;
        var node = new TestNode(self.Peer, cluster.Nodes.Select(n => n.Peer).ToList(), network, TestClusterExtensions.DefaultOptions(), time, self.Storage);
        return new HeldSuccessorRead(cluster, node, third, hang);
    }

    /// <summary>The held read answered through its hedge: the stored value, from node 1 and the third, one hedged call.</summary>
    public void AssertAnsweredThroughTheHedge(GetResult result)
    {
        Assert.Equal(["v"], result.Siblings.Select(v => Encoding.UTF8.GetString(v.Value)));
        Assert.Equal(new[] { Node.Id, Third }.Order(), result.AnsweredBy.Order());
        Assert.Equal(1, Node.Metrics.ReadsHedged);
    }
}
