using DynamoKad.Bench;
using DynamoKad.Tests.Replication;
using Google.Protobuf;
using Grpc.Core;

namespace DynamoKad.Tests.Bench;

/// <summary>The load generator's DynamoKad target against a real 3-node cluster (N=3): its quorum overrides reach the nodes.</summary>
public sealed class DynamoKadBenchTargetTests : IAsyncLifetime
{
    private GrpcTestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await GrpcTestCluster.StartAsync(seed: 23, nodes: 3);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadAndWriteQuorumOverridesAreSentWithEachRequest(bool session)
    {
        var key = ByteString.CopyFromUtf8("bench-key");
        var value = ByteString.CopyFromUtf8("v");
        var deadline = DateTime.UtcNow.AddSeconds(30);

        await using (var r1 = Target(readQuorum: 1, writeQuorum: 3, session))
        {
            await r1.PutAsync(0, 0, key, value, deadline, CancellationToken.None);
            await r1.GetAsync(0, 0, key, deadline, CancellationToken.None);
        }

        // R and W above N=3 are refused by the node: proof that the override, not the cluster's default, was sent.
        await using var tooMany = Target(readQuorum: 4, writeQuorum: 4, session);
        var get = await Assert.ThrowsAsync<RpcException>(() => tooMany.GetAsync(0, 0, key, deadline, CancellationToken.None));
        var put = await Assert.ThrowsAsync<RpcException>(() => tooMany.PutAsync(0, 0, key, value, deadline, CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, get.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, put.StatusCode);
        Assert.Contains("R", get.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("W", put.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void QuorumOptionsAreForTheDynamoKadTargetAndPositive()
    {
        Assert.Null(BenchCommand.Quorum(null, "--r", BenchTargetKind.Etcd));
        Assert.Equal(2, BenchCommand.Quorum(2, "--r", BenchTargetKind.DynamoKad));
        Assert.Contains("dynamokad target only", Assert.Throws<ArgumentException>(() => BenchCommand.Quorum(1, "--r", BenchTargetKind.Etcd)).Message);
        Assert.Contains("--w must be at least 1", Assert.Throws<ArgumentException>(() => BenchCommand.Quorum(0, "--w", BenchTargetKind.DynamoKad)).Message);
    }

    [Fact]
    public void TheSessionClientIsForTheDynamoKadTarget()
    {
        Assert.False(BenchCommand.SessionClient(null, BenchTargetKind.DynamoKad));
        Assert.False(BenchCommand.SessionClient("unary", BenchTargetKind.Etcd));
        Assert.True(BenchCommand.SessionClient("session", BenchTargetKind.DynamoKad));
        Assert.Contains("dynamokad target only", Assert.Throws<ArgumentException>(() => BenchCommand.SessionClient("session", BenchTargetKind.Echo)).Message);
    }

    private DynamoKadBenchTarget Target(int readQuorum, int writeQuorum, bool session) =>
        new(new BenchSettings
        {
            Target = BenchTargetKind.DynamoKad,
            Endpoints = [_cluster.Endpoint(_cluster.Nodes[0].Id)],
            Keys = 1,
            ReadQuorum = readQuorum,
            WriteQuorum = writeQuorum,
            Session = session,
        });
}
