using DynamoKad.Protos.V1;
using Google.Protobuf;

namespace DynamoKad.Tests.EndToEnd;

/// <summary>Client requests against the real multi-process cluster: any node coordinates any key.</summary>
[Collection(AspireClusterCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class KeyValueEndToEndTests(AspireClusterFixture cluster)
{
    private static DateTime Deadline => DateTime.UtcNow.AddSeconds(15);

    [Fact]
    public async Task AValuePutThroughOneNodeIsReadThroughAnother()
    {
        var key = ByteString.CopyFromUtf8("e2e-" + Guid.NewGuid().ToString("N"));
        var writer = new KeyValue.KeyValueClient(cluster.Channel("node0"));
        var reader = new KeyValue.KeyValueClient(cluster.Channel("node2"));

        var put = await writer.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("hello") }, deadline: Deadline);
        Assert.False(string.IsNullOrEmpty(put.Context));

        var got = await reader.GetAsync(new GetRequest { Key = key }, deadline: Deadline);
        Assert.True(got.Found);
        var sibling = Assert.Single(got.Siblings);
        Assert.Equal("hello", sibling.Value.ToStringUtf8());
    }

    [Fact]
    public async Task ConcurrentBlindPutsThroughTwoNodesBecomeSiblingsAndAPutWithTheContextResolvesThem()
    {
        var key = ByteString.CopyFromUtf8("siblings-" + Guid.NewGuid().ToString("N"));
        var a = new KeyValue.KeyValueClient(cluster.Channel("node0"));
        var b = new KeyValue.KeyValueClient(cluster.Channel("node1"));

        await Task.WhenAll(
            a.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("from-a") }, deadline: Deadline).ResponseAsync,
            b.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("from-b") }, deadline: Deadline).ResponseAsync);

        var all = new GetRequest { Key = key, Quorum = new Quorum { R = (uint)AspireClusterFixture.NodeCount } };
        var read = await a.GetAsync(all, deadline: Deadline);
        Assert.Equal(["from-a", "from-b"], read.Siblings.Select(s => s.Value.ToStringUtf8()).Order());

        await b.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("merged"), Context = read.Context }, deadline: Deadline);

        var resolved = await a.GetAsync(all, deadline: Deadline);
        Assert.Equal("merged", Assert.Single(resolved.Siblings).Value.ToStringUtf8());
    }
}
