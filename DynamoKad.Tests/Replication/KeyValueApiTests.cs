using System.Buffers.Text;
using DynamoKad.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace DynamoKad.Tests.Replication;

/// <summary>The client API over real gRPC: thin mapping, and errors as the right status codes.</summary>
public sealed class KeyValueApiTests : IAsyncLifetime
{
    private GrpcTestCluster _cluster = null!;
    private KeyValue.KeyValueClient _client = null!;

    public async Task InitializeAsync()
    {
        _cluster = await GrpcTestCluster.StartAsync(seed: 11, nodes: 3);
        _client = _cluster.KeyValueClient(_cluster.Nodes[0].Id);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    [Fact]
    public async Task PutGetAndDeleteRoundTripWithSiblingsAndContext()
    {
        var first = await _client.PutAsync(new PutRequest { Key = Bytes("k"), Value = Bytes("a") });
        await _client.PutAsync(new PutRequest { Key = Bytes("k"), Value = Bytes("b") });
        var get = await _client.GetAsync(new GetRequest { Key = Bytes("k") });

        Assert.True(first.Acks >= 2);
        Assert.True(get.Found);
        Assert.Equal(["a", "b"], get.Siblings.Select(s => s.Value.ToStringUtf8()).Order());
        Assert.All(get.Siblings, s => Assert.NotEmpty(s.Clock.Entries));
        Assert.True(get.ReplicasAnswered >= 2);
        Assert.Equal((int)get.ReplicasAnswered, get.AnsweredBy.Count);
        Assert.All(get.AnsweredBy, id => Assert.Equal(40, id.Length));

        await _client.PutAsync(new PutRequest { Key = Bytes("k"), Value = Bytes("ab"), Context = get.Context });
        Assert.Equal(["ab"], (await _client.GetAsync(new GetRequest { Key = Bytes("k") })).Siblings.Select(s => s.Value.ToStringUtf8()));

        var delete = await _client.DeleteAsync(new DeleteRequest { Key = Bytes("k") });
        var afterDelete = await _client.GetAsync(new GetRequest { Key = Bytes("k") });
        Assert.True(delete.Acks >= 2);
        Assert.False(afterDelete.Found);
        Assert.Empty(afterDelete.Siblings);
    }

    [Fact]
    public async Task AMissingKeyIsNotFoundRatherThanAnError()
    {
        var get = await _client.GetAsync(new GetRequest { Key = Bytes("never-written") });

        Assert.False(get.Found);
        Assert.NotEmpty(get.Context);
    }

    [Fact]
    public async Task ATamperedContextIsInvalidArgumentNamingContext()
    {
        var get = await _client.GetAsync(new GetRequest { Key = Bytes("t") });
        var bytes = Base64Url.DecodeFromChars(get.Context);
        bytes[^1] ^= 0xff;

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await _client.PutAsync(new PutRequest { Key = Bytes("t"), Value = Bytes("x"), Context = Base64Url.EncodeToString(bytes) }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("context", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnImpossibleQuorumOverrideIsInvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await _client.GetAsync(new GetRequest { Key = Bytes("q"), Quorum = new Quorum { N = 2, R = 3 } }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("quorum.R must not exceed N (2); got 3.", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEmptyKeyIsInvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _client.PutAsync(new PutRequest { Value = Bytes("x") }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task AMissedQuorumIsUnavailableSayingHowManyReplicasAcknowledged()
    {
        await _cluster.KillAsync(_cluster.Nodes[1].Id);
        await _cluster.KillAsync(_cluster.Nodes[2].Id);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _client.PutAsync(new PutRequest { Key = Bytes("u"), Value = Bytes("x") }));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal("write reached 1 of the 2 replicas required (N=3).", ex.Status.Detail);
    }
}
