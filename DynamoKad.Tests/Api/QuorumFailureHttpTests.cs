using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DynamoKad.Kademlia;

namespace DynamoKad.Tests.Api;

/// <summary>A node whose two fellow replicas are down: quorums above 1 cannot be reached.</summary>
public sealed class QuorumFailureHttpTests : IAsyncLifetime
{
    private InProcessNode _node = null!;

    public async Task InitializeAsync() => _node = await InProcessNode.StartAsync(peers:
    [
        (NodeId.Random(new Random(1)), $"http://127.0.0.1:{InProcessNode.FreePort()}"),
        (NodeId.Random(new Random(2)), $"http://127.0.0.1:{InProcessNode.FreePort()}"),
    ]);

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task AMissedWriteQuorumIs503SayingHowManyReplicasAnswered()
    {
        var response = await _node.Http.PutAsync("/v1/kv/k?n=3&w=2", new ByteArrayContent("v"u8.ToArray()));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, body.GetProperty("replicasAnswered").GetInt32());
        Assert.Equal(2, body.GetProperty("replicasRequired").GetInt32());
        Assert.Equal(3, body.GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task AMissedReadQuorumIs503()
    {
        var response = await _node.Http.GetAsync("/v1/kv/k?n=3&r=3");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, body.GetProperty("replicasAnswered").GetInt32());
    }

    [Fact]
    public async Task TheInspectorMarksUnreachableReplicas()
    {
        await _node.Http.PutAsync("/v1/kv/k?n=3&w=1", new ByteArrayContent("v"u8.ToArray()));

        var body = await _node.Http.GetFromJsonAsync<JsonElement>("/v1/kv/k/replicas?n=3");
        var replicas = body.GetProperty("replicas").EnumerateArray().ToList();
        Assert.Equal(3, replicas.Count);
        Assert.Single(replicas, r => r.GetProperty("reachable").GetBoolean());
        Assert.All(
            replicas.Where(r => !r.GetProperty("reachable").GetBoolean()),
            r => Assert.False(string.IsNullOrEmpty(r.GetProperty("error").GetString())));
    }
}
