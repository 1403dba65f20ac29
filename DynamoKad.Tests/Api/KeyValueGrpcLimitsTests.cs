using DynamoKad.Protos.V1;
using Google.Protobuf;
using DynamoKad.Hosting;
using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DynamoKad.Tests.Api;

/// <summary>The gRPC client API refuses what the HTTP API refuses, as INVALID_ARGUMENT naming the field.</summary>
public sealed class KeyValueGrpcLimitsTests : IAsyncLifetime
{
    private InProcessNode _node = null!;

    public async Task InitializeAsync() => _node = await InProcessNode.StartAsync();

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Theory]
    [InlineData(0, 1, "key")]
    [InlineData(65, 1, "key")]
    [InlineData(1, 1025, "value")]
    public async Task AnEmptyOrOversizedKeyOrValueIsAnInvalidArgumentNamingIt(int keyBytes, int valueBytes, string field)
    {
        var kv = new KeyValue.KeyValueClient(_node.Channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await kv.PutAsync(new PutRequest
        {
            Key = ByteString.CopyFrom(new byte[keyBytes].Select(_ => (byte)'k').ToArray()),
            Value = ByteString.CopyFrom(new byte[valueBytes]),
        }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TheServerWideBodyLimitAdmitsTheLargestNodeToNodeMessage()
    {
        // Kestrel's body limit also bounds gRPC requests: below 16 MiB, large anti-entropy batches would fail.
        var kestrel = _node.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;

        Assert.True(kestrel.Limits.MaxRequestBodySize >= NodeApiExtensions.MaxNodeMessageBytes, $"{kestrel.Limits.MaxRequestBodySize}");
    }

    [Fact]
    public async Task AMessageFarBeyondTheLimitsIsRefusedBeforeItIsRead()
    {
        var kv = new KeyValue.KeyValueClient(_node.Channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await kv.PutAsync(new PutRequest
        {
            Key = ByteString.CopyFromUtf8("k"),
            Value = ByteString.CopyFrom(new byte[200 * 1024]), // above MaxKeyBytes + MaxValueBytes + 64 KiB here
        }));

        Assert.True(error.StatusCode == StatusCode.ResourceExhausted, $"{error.StatusCode}: {error.Status.Detail} {error.Status.DebugException}");
    }
}
