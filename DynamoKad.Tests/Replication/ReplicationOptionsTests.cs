using DynamoKad.Replication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DynamoKad.Tests.Replication;

public sealed class ReplicationOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        var result = new ReplicationOptionsValidator().Validate(null, new ReplicationOptions());

        Assert.True(result.Succeeded);
        Assert.Equal((3, 2, 2), (new ReplicationOptions().N, new ReplicationOptions().R, new ReplicationOptions().W));
    }

    [Theory]
    [InlineData(3, 4, 2, "DynamoKad:Replication:R must not exceed N (3); got 4.")]
    [InlineData(3, 2, 5, "DynamoKad:Replication:W must not exceed N (3); got 5.")]
    [InlineData(0, 1, 1, "DynamoKad:Replication:N must be between 1 and 16; got 0.")]
    [InlineData(3, 0, 2, "DynamoKad:Replication:R must be at least 1; got 0.")]
    [InlineData(3, 2, 0, "DynamoKad:Replication:W must be at least 1; got 0.")]
    public void ImpossibleQuorumsAreRejectedNamingTheSetting(int n, int r, int w, string expected)
    {
        var result = new ReplicationOptionsValidator().Validate(null, new ReplicationOptions { N = n, R = r, W = w });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.Failures!);
    }

    [Fact]
    public void ZeroIntervalsAndTimeoutsAreRejected()
    {
        var result = new ReplicationOptionsValidator().Validate(null, new ReplicationOptions { ReplicaTimeoutMs = 0, HintDeliveryBatch = 0 });

        Assert.Contains("DynamoKad:Replication:ReplicaTimeoutMs must be greater than 0; got 0.", result.Failures!);
        Assert.Contains("DynamoKad:Replication:HintDeliveryBatch must be greater than 0; got 0.", result.Failures!);
    }

    [Fact]
    public void StartUpFailsOnAnInvalidConfiguredQuorum()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["DynamoKad:Replication:R"] = "4" })
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddDynamoKadReplication();
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ReplicationOptions>>().Value);
        Assert.Contains("DynamoKad:Replication:R must not exceed N (3); got 4.", ex.Failures);
    }

    [Fact]
    public void OverridesFallBackToTheConfigurationAndAreValidatedTheSameWay()
    {
        var options = new ReplicationOptions();

        Assert.Equal(new QuorumSettings(3, 2, 2), QuorumSettings.Resolve(options, null));
        Assert.Equal(new QuorumSettings(5, 2, 4), QuorumSettings.Resolve(options, new QuorumOverrides(N: 5, W: 4)));
        var ex = Assert.Throws<QuorumValidationException>(() => QuorumSettings.Resolve(options, new QuorumOverrides(N: 1)));
        Assert.Contains("quorum.R must not exceed N (1); got 2.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("quorum.W must not exceed N (1); got 2.", ex.Message, StringComparison.Ordinal);
    }
}
