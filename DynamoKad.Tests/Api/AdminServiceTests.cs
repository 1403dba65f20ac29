using DynamoKad.Protos.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;

namespace DynamoKad.Tests.Api;

/// <summary>The Admin service of one in-process node without a secret (so no metadata is needed).</summary>
public sealed class AdminServiceTests : IAsyncLifetime
{
    private InProcessNode _node = null!;

    public async Task InitializeAsync() => _node = await InProcessNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task StatsCountRequestsAndStoredKeys()
    {
        await _node.Http.PutAsync("/v1/kv/a", new ByteArrayContent("1"u8.ToArray()));
        await _node.Http.PutAsync("/v1/kv/b", new ByteArrayContent("2"u8.ToArray()));
        await _node.Http.GetAsync("/v1/kv/a");
        await _node.Http.GetAsync("/v1/kv/a?r=5"); // a client mistake: counted as a failed get

        var stats = await new Admin.AdminClient(_node.Channel).GetStatsAsync(new GetStatsRequest());

        Assert.Equal(2ul, stats.Storage.Keys);
        Assert.Equal("Always", stats.Storage.Durability);
        var put = Assert.Single(stats.Operations, o => o.Operation == "put");
        Assert.Equal(2ul, put.Total);
        Assert.True(put.P50Ms > 0);
        var get = Assert.Single(stats.Operations, o => o.Operation == "get");
        Assert.Equal(2ul, get.Total);
        Assert.Equal(1ul, get.Failed);
    }

    [Fact]
    public async Task StatsCountGrpcRequestsWithTheirFailures()
    {
        var kv = new KeyValue.KeyValueClient(_node.Channel);
        var key = ByteString.CopyFromUtf8("g");
        await kv.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("1") });
        var get = await kv.GetAsync(new GetRequest { Key = key });
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(new GetRequest { Key = key, Quorum = new Quorum { R = 5 } }));
        await kv.DeleteAsync(new DeleteRequest { Key = key, Context = get.Context });

        var stats = await new Admin.AdminClient(_node.Channel).GetStatsAsync(new GetStatsRequest());

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal(_node.Id.ToString(), Assert.Single(get.AnsweredBy));
        Assert.Equal(1ul, Assert.Single(stats.Operations, o => o.Operation == "put").Total);
        var gets = Assert.Single(stats.Operations, o => o.Operation == "get");
        Assert.Equal(2ul, gets.Total);
        Assert.Equal(1ul, gets.Failed);
        var deletes = Assert.Single(stats.Operations, o => o.Operation == "delete");
        Assert.Equal(1ul, deletes.Total);
        Assert.Equal(0ul, deletes.Failed);
    }

    [Fact]
    public async Task InspectKeyAndGetLocalKeyShowTheStoredVersion()
    {
        await _node.Http.PutAsync("/v1/kv/seen", new ByteArrayContent("here"u8.ToArray()));
        var admin = new Admin.AdminClient(_node.Channel);

        var inspection = await admin.InspectKeyAsync(new InspectKeyRequest { Key = ByteString.CopyFromUtf8("seen") });
        var replica = Assert.Single(inspection.Replicas);
        Assert.True(replica.Reachable);
        Assert.Equal("here", Assert.Single(replica.Versions).Value.ToStringUtf8());

        var local = await admin.GetLocalKeyAsync(new GetLocalKeyRequest { Key = ByteString.CopyFromUtf8("seen") });
        Assert.Equal(_node.Id.ToString(), local.NodeId);
        Assert.Single(local.Versions);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await admin.InspectKeyAsync(new InspectKeyRequest()));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task NodeInfoRoutingTableAndClusterViewDescribeALoneNode()
    {
        var admin = new Admin.AdminClient(_node.Channel);

        var info = await admin.GetNodeInfoAsync(new GetNodeInfoRequest());
        var table = await admin.GetRoutingTableAsync(new GetRoutingTableRequest());
        var view = await admin.GetClusterViewAsync(new GetClusterViewRequest());

        Assert.Equal(_node.GrpcAddress, info.Address);
        Assert.Equal((1u, 1u, 1u), (info.N, info.R, info.W));
        Assert.Equal(info.NodeId, table.SelfId);
        Assert.Equal(20u, table.K);
        Assert.Equal(0u, table.TotalContacts);
        var self = Assert.Single(view.Members);
        Assert.Equal(("self", info.NodeId), (self.State, self.NodeId));
    }

    [Fact]
    public async Task ServerReflectionListsTheServices()
    {
        var reflection = new ServerReflection.ServerReflectionClient(_node.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("dynamokad.v1.KeyValue", services);
        Assert.Contains("dynamokad.v1.Admin", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
