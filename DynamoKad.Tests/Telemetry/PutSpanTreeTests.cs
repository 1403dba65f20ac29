using System.Diagnostics;
using System.Text;
using DynamoKad.Replication;
using DynamoKad.Tests.Replication;

namespace DynamoKad.Tests.Telemetry;

/// <summary>
/// The path of a write as a trace (ARCHITECTURE.md): one <c>kv.put</c> root on the coordinator, one
/// <c>replica.write</c> child per replica, and each remote replica's own server span in the same trace,
/// its context carried over real gRPC.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class PutSpanTreeTests
{
    private const int Seed = 7001;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task APutIsOneTraceFanningOutToEveryReplicaOverGrpc()
    {
        using var collector = new ActivityCollector();
        await using var cluster = await GrpcTestCluster.StartAsync(Seed, nodes: 4).WaitAsync(Timeout);
        var key = Encoding.UTF8.GetBytes("traced-" + Guid.NewGuid().ToString("N"));
        var replicas = await cluster.PreferenceListAsync(key);
        // A node outside the preference list: it forwards the write to a replica, so the trace crosses the network twice.
        var coordinator = cluster.Nodes.First(n => !replicas.Contains(n.Id));

        ActivityTraceId trace;
        using (var test = new Activity("test").Start())
        {
            // The test's own activity is the parent; the kv.put under it is what a client request starts.
            await coordinator.Coordinator.PutAsync(key, "v"u8.ToArray(), null, null, CancellationToken.None).WaitAsync(Timeout);
            trace = test.TraceId;
        }

        await cluster.WhenIdleAsync().WaitAsync(Timeout);
        var spans = await collector.WaitForTraceAsync(
            trace, s => s.Count(IsServerSpan) >= 3 && s.Count(a => a.OperationName == "replica.write") == 3, Timeout);
        var describe = $"seed {Seed}; spans: {string.Join(", ", spans.Select(s => $"{s.Source.Name}/{s.OperationName}"))}";

        var put = Assert.Single(spans, s => s.OperationName == "kv.put");
        Assert.Equal(3, put.GetTagItem("dynamokad.n"));
        Assert.Equal(2, put.GetTagItem("dynamokad.w"));
        Assert.Equal("ok", put.GetTagItem("dynamokad.outcome"));
        Assert.NotNull(put.GetTagItem("dynamokad.key_id"));

        // The outsider's replica.coordinate call is served by a preferred replica, whose kv.put.forwarded fans out.
        var byId = spans.ToDictionary(s => s.SpanId);
        var forwarded = Assert.Single(spans, s => s.OperationName == "kv.put.forwarded");
        var coordinate = Assert.Single(spans, s => s.OperationName == "replica.coordinate");
        Assert.Equal(put.SpanId, coordinate.ParentSpanId);
        Assert.True(DescendsFrom(forwarded, coordinate, byId), describe);
        var coordinatingReplica = (string)coordinate.GetTagItem("node")!;

        var writes = spans.Where(s => s.OperationName == "replica.write").ToList();
        Assert.True(writes.Count == 3, describe);
        Assert.All(writes, w => Assert.Equal(forwarded.SpanId, w.ParentSpanId));
        Assert.Equal(replicas.Select(r => r.ToString()).Order(), writes.Select(w => (string)w.GetTagItem("node")!).Order());

        // Each other replica served its write inside the same trace, under that replica's replica.write span; the
        // coordinating replica wrote its own copy without a network hop.
        var servers = spans.Where(IsServerSpan).ToList();
        foreach (var write in writes.Where(w => (string)w.GetTagItem("node")! != coordinatingReplica))
        {
            Assert.True(servers.Any(s => DescendsFrom(s, write, byId)), $"no server span under {write.GetTagItem("node")}; {describe}");
        }
    }

    // A unary call's server span is ASP.NET Core's; an item of the replica stream gets the node's own (replica.write.serve).
    private static bool IsServerSpan(Activity activity) =>
        activity.Kind == ActivityKind.Server && activity.Source.Name is "Microsoft.AspNetCore" or ReplicationTelemetry.SourceName;

    private static bool DescendsFrom(Activity span, Activity ancestor, Dictionary<ActivitySpanId, Activity> byId)
    {
        var current = span;
        for (var depth = 0; depth < 10; depth++)
        {
            if (current.ParentSpanId == ancestor.SpanId)
            {
                return true;
            }

            if (!byId.TryGetValue(current.ParentSpanId, out var parent))
            {
                return false;
            }

            current = parent;
        }

        return false;
    }
}

/// <summary>Telemetry tests share process-wide listeners and static instruments: one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}
