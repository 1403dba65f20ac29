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
        var key = Encoding.UTF8.GetBytes("hedged-untraced");
        var held = await HeldSuccessorRead.CreateAsync(seed: 82, key, onlyThisKey: true, clock: time => new TimersNeverFire(time));
        var node = held.Node;

        // Nothing listens yet: this read has no request span.
        Activity.Current = null;
        var untraced = node.Coordinator.GetAsync(key, null, CancellationToken.None);
        held.Cluster.Time.Advance(TimeSpan.FromSeconds(1));

        using var collector = new ActivityCollector();
        await node.Coordinator.GetAsync(Encoding.UTF8.GetBytes("traced-next-read"), null, CancellationToken.None);
        await untraced.WaitAsync(TimeSpan.FromSeconds(10));
        Activity.Current = null;

        var traced = collector.Stopped.Single(a => a.OperationName == "kv.get" && a.Source == ReplicationTelemetry.Source);
        var hedged = Assert.Single(collector.Stopped, a => a.OperationName == "replica.read" && (string?)a.GetTagItem("node") == held.Third.ToString());
        Assert.NotEqual(traced.TraceId, hedged.TraceId);
        Assert.Equal(1, node.Metrics.ReadsHedged);
        held.Hang.SetResult([]);
    }
}
