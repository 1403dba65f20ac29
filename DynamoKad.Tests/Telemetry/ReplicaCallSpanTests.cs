using System.Diagnostics;
using DynamoKad.Kademlia;
using DynamoKad.Replication;

namespace DynamoKad.Tests.Telemetry;

/// <summary>
/// A replica call started after its client request has ended (a read hedge firing on the timer thread, a late
/// fallback write) stays in the request's trace, and does so without Activity refusing a stopped activity as
/// Current (which throws and catches an InvalidOperationException each time: 20 a second per node under load).
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class ReplicaCallSpanTests
{
    private static readonly ReplicaPeer Peer = new(NodeId.ForKey("peer"u8), "http://127.0.0.1:1");

    [Fact]
    public void ACallAfterTheRequestEndedIsItsChildAndThrowsNothing()
    {
        using var collector = new ActivityCollector();
        var request = ReplicationTelemetry.Source.StartActivity("kv.get", ActivityKind.Server);
        Assert.NotNull(request);
        request.Stop();
        Activity.Current = null;

        var thrown = 0;
        var thread = Environment.CurrentManagedThreadId;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                Interlocked.Increment(ref thrown);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        Activity? call;
        try
        {
            call = ReplicationTelemetry.StartReplicaCall("replica.read", Peer, hinted: true, request);
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        Assert.NotNull(call);
        call.Stop();
        Assert.Equal(0, thrown);
        Assert.Equal(request.TraceId, call.TraceId);
        Assert.Equal(request.SpanId, call.ParentSpanId);
        Assert.Equal(true, call.GetTagItem("dynamokad.hinted"));
        Assert.Equal(Peer.Address, call.GetTagItem("server.address"));
    }

    [Fact]
    public void ACallDuringTheRequestIsItsChildAndLeavesItCurrent()
    {
        using var collector = new ActivityCollector();
        Activity.Current = null;
        using var request = ReplicationTelemetry.Source.StartActivity("kv.put", ActivityKind.Server);
        Assert.NotNull(request);
        Activity.Current = null;

        var call = ReplicationTelemetry.StartReplicaCall("replica.write", Peer, hinted: false, request);

        Assert.NotNull(call);
        Assert.Same(request, call.Parent);
        Assert.Null(call.GetTagItem("dynamokad.hinted"));
        call.Stop();
        Assert.Same(request, Activity.Current);
    }
}
