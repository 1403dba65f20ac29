using System.Diagnostics;
using System.Text;
using DynamoKad.Replication;
using DynamoKad.Tests.Replication;

namespace DynamoKad.Tests.Telemetry;

/// <summary>
/// A read's hedge can fire on another request's thread (the next read to arrive fires the due ones). A read that has
/// no span of its own (nothing listened when it began) must not have its hedged call filed under that request's trace.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class HedgeSpanTests
{
    [Fact]
    public async Task AHedgeFiredByAnotherReadStaysOutOfThatReadsTrace()
    {
        var cluster = new InMemoryTestCluster(seed: 82, nodes: 3);
        var key = Encoding.UTF8.GetBytes("hedged-untraced");
        var other = Encoding.UTF8.GetBytes("traced-next-read");
        await cluster.Nodes[0].Coordinator.PutAsync(key, Encoding.UTF8.GetBytes("v"), null, null, CancellationToken.None);
        var ring = cluster.Nodes.Select(n => n.Id).Order().ToList();
        var self = cluster.Nodes[1];
        var successor = ring[(ring.IndexOf(self.Id) + 1) % ring.Count];
        var third = ring.Single(id => id != self.Id && id != successor);

        var hang = new TaskCompletionSource<IReadOnlyList<VersionedValue>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var network = new ReadHoldingNetwork(cluster.Network.ForNode(self.Id), successor, hang.Task, holdOnlyKey: key);
        var node = new TestNode(self.Peer, cluster.Nodes.Select(n => n.Peer).ToList(), network, TestClusterExtensions.DefaultOptions(), new TimersNeverFire(cluster.Time), self.Storage);

        // Nothing listens yet: this read has no request span.
        Activity.Current = null;
        var untraced = node.Coordinator.GetAsync(key, null, CancellationToken.None);
        cluster.Time.Advance(TimeSpan.FromSeconds(1));

        using var collector = new ActivityCollector();
        await node.Coordinator.GetAsync(other, null, CancellationToken.None);
        await untraced.WaitAsync(TimeSpan.FromSeconds(10));
        Activity.Current = null;

        var traced = collector.Stopped.Single(a => a.OperationName == "kv.get" && a.Source == ReplicationTelemetry.Source);
        var hedged = Assert.Single(collector.Stopped, a => a.OperationName == "replica.read" && (string?)a.GetTagItem("node") == third.ToString());
        Assert.NotEqual(traced.TraceId, hedged.TraceId);
        Assert.Equal(1, node.Metrics.ReadsHedged);
        hang.SetResult([]);
    }
}
