using DynamoKad.Hosting;
using DynamoKad.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DynamoKad.Tests.Security;

public sealed class LoopbackOnlyTests
{
    [Fact]
    public async Task ANodeWithoutASecretAskedToListenEverywhereListensOnLoopbackAndSaysSo()
    {
        var grpc = InProcessNode.FreePort();
        await using var node = await InProcessNode.StartAsync(new Dictionary<string, string?>
        {
            ["DynamoKad:Node:Listen"] = $"0.0.0.0:{grpc}",
            ["DynamoKad:Node:AdvertisedAddress"] = $"http://127.0.0.1:{grpc}",
        });

        var options = node.Services.GetRequiredService<IOptions<NodeOptions>>().Value;
        Assert.Equal($"127.0.0.1:{grpc}", options.Listen);
        Assert.Contains(TestLog.Provider.Lines, line => line.Contains("binds only to loopback", StringComparison.Ordinal)
            && line.Contains($"127.0.0.1:{grpc}", StringComparison.Ordinal));
    }
}
