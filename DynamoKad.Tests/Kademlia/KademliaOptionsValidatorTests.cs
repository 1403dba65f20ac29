using DynamoKad.Kademlia;

namespace DynamoKad.Tests.Kademlia;

public sealed class KademliaOptionsValidatorTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        var result = new KademliaOptionsValidator().Validate(null, new KademliaOptions());
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(20, new KademliaOptions().K);
        Assert.Equal(3, new KademliaOptions().Alpha);
        Assert.Equal(TimeSpan.FromHours(1), new KademliaOptions().RefreshInterval);
    }

    [Theory]
    [InlineData("K", 0, 1, 1500, 10_000, 60)]
    [InlineData("Alpha", 20, 0, 1500, 10_000, 60)]
    [InlineData("Alpha", 4, 5, 1500, 10_000, 60)]
    [InlineData("RpcTimeoutMs", 20, 3, 0, 10_000, 60)]
    [InlineData("LookupDeadlineMs", 20, 3, 1500, 1000, 60)]
    [InlineData("RefreshInterval", 20, 3, 1500, 10_000, 0)]
    public void EachImpossibleSettingIsReportedByName(string setting, int k, int alpha, int rpcTimeoutMs, int lookupDeadlineMs, int refreshMinutes)
    {
        var options = new KademliaOptions
        {
            K = k,
            Alpha = alpha,
            RpcTimeoutMs = rpcTimeoutMs,
            LookupDeadlineMs = lookupDeadlineMs,
            RefreshInterval = TimeSpan.FromMinutes(refreshMinutes),
        };

        var result = new KademliaOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith($"DynamoKad:Kademlia:{setting} ", failure);
    }
}
