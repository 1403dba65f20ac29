using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DynamoKad.Kademlia;

namespace DynamoKad.Tests.Api;

/// <summary>The HTTP JSON API contract: status codes, JSON shapes and error bodies, against a real in-process node.</summary>
public sealed class KeyValueHttpApiTests : IAsyncLifetime
{
    private InProcessNode _node = null!;

    public async Task InitializeAsync() => _node = await InProcessNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task PutThenGetReturnsTheValueItsTextItsClockAndAContext()
    {
        var put = await _node.Http.PutAsync("/v1/kv/greeting", new ByteArrayContent("hello"u8.ToArray()));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var putBody = await put.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(string.IsNullOrEmpty(putBody.GetProperty("context").GetString()));

        var get = await _node.Http.GetAsync("/v1/kv/greeting");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var body = await get.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("greeting", body.GetProperty("key").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("context").GetString()));
        var sibling = Assert.Single(body.GetProperty("siblings").EnumerateArray());
        Assert.Equal(Convert.ToBase64String("hello"u8), sibling.GetProperty("value").GetString());
        Assert.Equal("hello", sibling.GetProperty("text").GetString());
        var clock = Assert.Single(sibling.GetProperty("clock").EnumerateObject());
        Assert.Equal(_node.Id.ToString(), clock.Name);
        Assert.True(clock.Value.GetUInt64() > 0);
    }

    [Fact]
    public async Task AKeyWithASlashOrPercentIsTheSameKeyOverHttpAndGrpc()
    {
        var put = await _node.Http.PutAsync("/v1/kv/" + Uri.EscapeDataString("dir/file 100%"), new ByteArrayContent("v"u8.ToArray()));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var kv = new Protos.V1.KeyValue.KeyValueClient(_node.Channel);
        var read = await kv.GetAsync(new Protos.V1.GetRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("dir/file 100%") });
        Assert.True(read.Found);

        var body = await _node.Http.GetFromJsonAsync<JsonElement>("/v1/kv/dir%2Ffile%20100%25");
        Assert.Equal("dir/file 100%", body.GetProperty("key").GetString());
        var replicas = await _node.Http.GetFromJsonAsync<JsonElement>("/v1/kv/dir%2Ffile%20100%25/replicas");
        Assert.Equal("dir/file 100%", replicas.GetProperty("key").GetString());
    }

    [Fact]
    public async Task ABinaryValueHasNoText()
    {
        byte[] value = [0xff, 0xfe, 0x00, 0x80];
        Assert.Equal(HttpStatusCode.OK, (await _node.Http.PutAsync("/v1/kv/binary", new ByteArrayContent(value))).StatusCode);

        var body = await _node.Http.GetFromJsonAsync<JsonElement>("/v1/kv/binary");
        var sibling = Assert.Single(body.GetProperty("siblings").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, sibling.GetProperty("text").ValueKind);
        Assert.Equal(value, Convert.FromBase64String(sibling.GetProperty("value").GetString()!));
    }

    [Fact]
    public async Task AMissingKeyIs404ProblemJson()
    {
        var response = await _node.Http.GetAsync("/v1/kv/never-written");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, body.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task DeleteWithTheContextMakesTheKeyNotFound()
    {
        await _node.Http.PutAsync("/v1/kv/doomed", new ByteArrayContent("x"u8.ToArray()));
        var read = await _node.Http.GetFromJsonAsync<JsonElement>("/v1/kv/doomed");

        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/v1/kv/doomed");
        delete.Headers.Add("X-DynamoKad-Context", read.GetProperty("context").GetString());
        var deleted = await _node.Http.SendAsync(delete);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await _node.Http.GetAsync("/v1/kv/doomed")).StatusCode);
    }

    [Fact]
    public async Task BlindPutsBecomeSiblingsAndAPutWithTheContextResolvesThem()
    {
        await _node.Http.PutAsync("/v1/kv/cart", new ByteArrayContent("apple"u8.ToArray()));
        await _node.Http.PutAsync("/v1/kv/cart", new ByteArrayContent("pear"u8.ToArray()));
        var both = await _node.Http.GetFromJsonAsync<JsonElement>("/v1/kv/cart");
        var texts = both.GetProperty("siblings").EnumerateArray().Select(s => s.GetProperty("text").GetString()).Order().ToList();
        Assert.Equal(["apple", "pear"], texts);

        using var resolve = new HttpRequestMessage(HttpMethod.Put, "/v1/kv/cart") { Content = new ByteArrayContent("apple+pear"u8.ToArray()) };
        resolve.Headers.Add("X-DynamoKad-Context", both.GetProperty("context").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _node.Http.SendAsync(resolve)).StatusCode);

        var resolved = await _node.Http.GetFromJsonAsync<JsonElement>("/v1/kv/cart");
        Assert.Equal("apple+pear", Assert.Single(resolved.GetProperty("siblings").EnumerateArray()).GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("PUT", "/v1/kv/", null, "key")]
    [InlineData("GET", "/v1/kv", null, "key")]
    [InlineData("PUT", "/v1/kv/k?n=abc", null, "n")]
    [InlineData("PUT", "/v1/kv/k?w=-1", null, "w")]
    [InlineData("GET", "/v1/kv/k?r=0", null, "r")]
    [InlineData("GET", "/v1/kv/k?r=2", null, "r")]
    [InlineData("PUT", "/v1/kv/k?n=99", null, "n")]
    [InlineData("PUT", "/v1/kv/k", "not-a-context", "context")]
    [InlineData("DELETE", "/v1/kv/k", "AAAA", "context")]
    [InlineData("GET", "/v1/kv/k/replicas?n=0", null, "n")]
    public async Task BadInputIs400ProblemJsonNamingTheField(string method, string url, string? context, string field)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method == "PUT")
        {
            request.Content = new ByteArrayContent("v"u8.ToArray());
        }

        if (context is not null)
        {
            request.Headers.Add("X-DynamoKad-Context", context);
        }

        await AssertBadRequestAsync(await _node.Http.SendAsync(request), field);
    }

    [Fact]
    public async Task AnOversizedKeyIs400NamingTheKey()
    {
        var key = new string('k', 65); // the node allows 64 bytes
        await AssertBadRequestAsync(await _node.Http.GetAsync($"/v1/kv/{key}"), "key");
        await AssertBadRequestAsync(await _node.Http.PutAsync($"/v1/kv/{key}", new ByteArrayContent([1])), "key");
    }

    [Fact]
    public async Task AnOversizedValueIs400NamingTheValueWithOrWithoutAContentLength()
    {
        var value = new byte[1025]; // the node allows 1024 bytes
        await AssertBadRequestAsync(await _node.Http.PutAsync("/v1/kv/big", new ByteArrayContent(value)), "value");

        var chunked = new StreamContent(new MemoryStream(value));
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/kv/big") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await AssertBadRequestAsync(await _node.Http.SendAsync(request), "value");

        Assert.Equal(HttpStatusCode.OK, (await _node.Http.PutAsync("/v1/kv/big", new ByteArrayContent(new byte[1024]))).StatusCode);
    }

    [Fact]
    public async Task TheReplicaInspectorShowsWhatTheNodeHolds()
    {
        await _node.Http.PutAsync("/v1/kv/inspected", new ByteArrayContent("seen"u8.ToArray()));

        var body = await _node.Http.GetFromJsonAsync<JsonElement>("/v1/kv/inspected/replicas");
        Assert.Equal("inspected", body.GetProperty("key").GetString());
        Assert.Equal(NodeId.ForKey("inspected"u8).ToString(), body.GetProperty("keyId").GetString());
        var replica = Assert.Single(body.GetProperty("replicas").EnumerateArray());
        Assert.Equal(_node.Id.ToString(), replica.GetProperty("nodeId").GetString());
        Assert.True(replica.GetProperty("preferred").GetBoolean());
        Assert.True(replica.GetProperty("reachable").GetBoolean());
        var version = Assert.Single(replica.GetProperty("versions").EnumerateArray());
        Assert.Equal("seen", version.GetProperty("text").GetString());
        Assert.False(version.GetProperty("tombstone").GetBoolean());
        Assert.Empty(body.GetProperty("hints").EnumerateArray());
    }

    internal static async Task AssertBadRequestAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(field, body.GetProperty("field").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("detail").GetString()));
    }
}
