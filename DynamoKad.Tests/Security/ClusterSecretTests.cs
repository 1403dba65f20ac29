using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using DynamoKad.Security;
using DynamoKad.Tests.Api;
using DynamoKad.Transport;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;

namespace DynamoKad.Tests.Security;

/// <summary>A node with a cluster secret: node-to-node and Admin calls need it, clients and health checks do not.</summary>
public sealed class ClusterSecretTests : IAsyncLifetime
{
    private const string Secret = "correct horse battery staple";
    private InProcessNode _node = null!;

    public async Task InitializeAsync() =>
        _node = await InProcessNode.StartAsync(new Dictionary<string, string?> { ["DynamoKad:Cluster:Secret"] = Secret });

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task AnAdminCallWithoutTheSecretIsRefusedAndLogged()
    {
        var admin = new Admin.AdminClient(_node.Channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await admin.GetNodeInfoAsync(new GetNodeInfoRequest()));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains(TestLog.Provider.Lines, line => line.Contains("Refused /dynamokad.v1.Admin/GetNodeInfo", StringComparison.Ordinal)
            && line.Contains("no cluster secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAdminCallWithAWrongSecretIsRefused()
    {
        var admin = new Admin.AdminClient(_node.Channel.Intercept(new ClusterSecretClientInterceptor(new ClusterSecret("not the secret at all"))));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await admin.GetNodeInfoAsync(new GetNodeInfoRequest()));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task AnAdminCallWithTheSecretSucceeds()
    {
        var admin = new Admin.AdminClient(_node.Channel.Intercept(new ClusterSecretClientInterceptor(new ClusterSecret(Secret))));

        var info = await admin.GetNodeInfoAsync(new GetNodeInfoRequest());

        Assert.Equal(_node.Id.ToString(), info.NodeId);
        Assert.Equal(1u, info.N);
        Assert.Equal(_node.HttpAddress, info.HttpAddress);
    }

    [Fact]
    public async Task AKademliaCallWithoutTheSecretIsRefused()
    {
        // Each protected service has the check registered on it (not globally): all three must carry it.
        var kademlia = new Protos.V1.Kademlia.KademliaClient(_node.Channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await kademlia.PingAsync(new PingRequest()));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task AReplicaCallWithoutTheSecretIsRefused()
    {
        var replica = new Protos.V1.Replica.ReplicaClient(_node.Channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await replica.ReadAsync(new ReplicaReadRequest { Key = ByteString.CopyFromUtf8("k") }));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task AReplicaLinkWithAWrongSecretIsRefusedAndLogged()
    {
        using var network = new GrpcReplicaNetwork(new PeerChannelPool(), link: new ReplicaLinkCredentials(NodeId.ForKey("intruder"u8), "not the secret at all"));

        var error = await Assert.ThrowsAsync<ReplicaUnavailableException>(() =>
            network.ReadAsync(new ReplicaPeer(_node.Id, _node.GrpcAddress), "k"u8.ToArray(), TimeSpan.FromSeconds(5), CancellationToken.None));

        Assert.Contains("Unauthenticated: the replica link did not present the cluster secret", error.Message, StringComparison.Ordinal);
        Assert.Contains(TestLog.Provider.Lines, line => line.Contains("Refused a replica link", StringComparison.Ordinal)
            && line.Contains(NodeId.ForKey("intruder"u8).ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AReplicaLinkWithTheSecretReadsWhatTheNodeHolds()
    {
        var kv = new KeyValue.KeyValueClient(_node.Channel);
        await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("linked"), Value = ByteString.CopyFromUtf8("over tcp") });
        using var network = new GrpcReplicaNetwork(new PeerChannelPool(), link: new ReplicaLinkCredentials(NodeId.ForKey("member"u8), Secret));

        var versions = await network.ReadAsync(new ReplicaPeer(_node.Id, _node.GrpcAddress), "linked"u8.ToArray(), TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal("over tcp", System.Text.Encoding.UTF8.GetString(Assert.Single(versions).Value));
    }

    [Fact]
    public async Task TheClientApiAndHealthCheckingStayOpen()
    {
        var kv = new KeyValue.KeyValueClient(_node.Channel);
        await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("open"), Value = ByteString.CopyFromUtf8("door") });
        var read = await kv.GetAsync(new GetRequest { Key = ByteString.CopyFromUtf8("open") });
        Assert.Equal("door", Assert.Single(read.Siblings).Value.ToStringUtf8());

        var health = await new Health.HealthClient(_node.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }
}
