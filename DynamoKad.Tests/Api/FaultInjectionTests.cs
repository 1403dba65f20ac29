using System.Net;
using DynamoKad.Protos.V1;
using DynamoKad.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace DynamoKad.Tests.Api;

/// <summary>
/// Two real nodes replicating to each other over gRPC (N=2, W=2), with a cluster secret; faults set through
/// Admin.SetFaults act on their real replica calls.
/// </summary>
public sealed class FaultInjectionTests : IAsyncLifetime
{
    private const string Secret = "fault injection test secret";
    private InProcessNode _a = null!;
    private InProcessNode _b = null!;

    public async Task InitializeAsync()
    {
        var a = InProcessNode.Plan.Create();
        var b = InProcessNode.Plan.Create();
        var settings = new Dictionary<string, string?>
        {
            ["DynamoKad:Cluster:Secret"] = Secret,
            ["DynamoKad:Replication:N"] = "2",
            ["DynamoKad:Replication:R"] = "2",
            ["DynamoKad:Replication:W"] = "2",
            ["DynamoKad:Replication:FallbackCandidates"] = "0",
        };
        _a = await InProcessNode.StartAsync(a, settings, [(b.Id, b.GrpcAddress)]);
        _b = await InProcessNode.StartAsync(b, settings, [(a.Id, a.GrpcAddress)]);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Fact]
    public async Task WithoutFaultsBothReplicasAcknowledge()
    {
        Assert.Equal(HttpStatusCode.OK, await PutAsync(_a, "healthy"));
        Assert.Equal(HttpStatusCode.OK, await PutAsync(_b, "healthy"));
    }

    [Fact]
    public async Task AnIsolatedNodeCannotReachItsPeerNorBeReachedUntilHealed()
    {
        var faults = await Admin(_a).SetFaultsAsync(new SetFaultsRequest { Faults = new FaultState { Isolated = true } });
        Assert.True(faults.Isolated);
        Assert.True((await Admin(_a).GetFaultsAsync(new GetFaultsRequest())).Isolated);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PutAsync(_a, "cut"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PutAsync(_b, "cut"));

        var healed = await Admin(_a).SetFaultsAsync(new SetFaultsRequest { Faults = new FaultState() });
        Assert.False(healed.Isolated);
        Assert.Equal(HttpStatusCode.OK, await PutAsync(_a, "cut"));
        Assert.Equal(HttpStatusCode.OK, await PutAsync(_b, "cut"));
    }

    [Fact]
    public async Task ABlockedPeerIsCutInBothDirectionsByTheBlockingNodeAlone()
    {
        await Admin(_a).SetFaultsAsync(new SetFaultsRequest { Faults = new FaultState { BlockedPeers = { _b.Id.ToString() } } });

        // a -> b is cut by a's client interceptor, b -> a by a's server interceptor (b's node id header).
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PutAsync(_a, "blocked"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PutAsync(_b, "blocked"));
        Assert.Equal(HttpStatusCode.OK, await PutAsync(_a, "blocked", w: 1));
    }

    [Fact]
    public async Task ADropRateOfOneDropsEveryNodeToNodeCall()
    {
        await Admin(_b).SetFaultsAsync(new SetFaultsRequest { Faults = new FaultState { DropRate = 1.0 } });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PutAsync(_a, "dropped"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PutAsync(_b, "dropped"));

        await Admin(_b).SetFaultsAsync(new SetFaultsRequest { Faults = new FaultState { DropRate = 0 } });
        Assert.Equal(HttpStatusCode.OK, await PutAsync(_a, "dropped"));
    }

    [Fact]
    public async Task LatencyLongerThanTheReplicaDeadlineMakesTheQuorumFail()
    {
        // ReplicaTimeoutMs is 1000 in these nodes.
        await Admin(_b).SetFaultsAsync(new SetFaultsRequest { Faults = new FaultState { LatencyMs = 5_000 } });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PutAsync(_a, "slow"));

        await Admin(_b).SetFaultsAsync(new SetFaultsRequest { Faults = new FaultState() });
        Assert.Equal(HttpStatusCode.OK, await PutAsync(_a, "slow"));
    }

    [Theory]
    [InlineData(-0.5, 0u, "drop_rate")]
    [InlineData(1.5, 0u, "drop_rate")]
    [InlineData(0, 60_001u, "latency_ms")]
    public async Task ImpossibleFaultsAreInvalidArguments(double dropRate, uint latencyMs, string field)
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Admin(_a).SetFaultsAsync(
            new SetFaultsRequest { Faults = new FaultState { DropRate = dropRate, LatencyMs = latencyMs } }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(field, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABlockedPeerMustBeANodeId()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Admin(_a).SetFaultsAsync(
            new SetFaultsRequest { Faults = new FaultState { BlockedPeers = { "node1" } } }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("blocked_peers", error.Status.Detail, StringComparison.Ordinal);
    }

    private static Admin.AdminClient Admin(InProcessNode node) =>
        new(node.Channel.Intercept(new ClusterSecretClientInterceptor(new ClusterSecret(Secret))));

    private static async Task<HttpStatusCode> PutAsync(InProcessNode node, string key, int? w = null)
    {
        var query = w is { } value ? $"?w={value}" : string.Empty;
        var response = await node.Http.PutAsync($"/v1/kv/{key}{query}", new ByteArrayContent("v"u8.ToArray()));
        return response.StatusCode;
    }
}
