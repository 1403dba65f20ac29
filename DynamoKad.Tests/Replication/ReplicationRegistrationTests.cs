using DynamoKad.Kademlia;
using DynamoKad.Replication;
using DynamoKad.Storage;
using DynamoKad.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DynamoKad.Tests.Replication;

public sealed class ReplicationRegistrationTests
{
    /// <summary>What the lead's integration supplies: a storage engine and a placement; replication registers the rest.</summary>
    [Fact]
    public async Task AddDynamoKadReplicationResolvesEverythingOnceStorageAndPlacementAreSupplied()
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddSingleton<IStorageEngine, InMemoryStorageEngine>()
            .AddSingleton<IReplicaPlacement>(new StaticReplicaPlacement(NodeId.Zero, [new ReplicaPeer(NodeId.Zero, "http://127.0.0.1:1")]));
        services.AddDynamoKadReplication();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        Assert.IsType<GrpcReplicaNetwork>(provider.GetRequiredService<IReplicaNetwork>());
        Assert.NotNull(provider.GetRequiredService<QuorumCoordinator>());
        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.Contains(hosted, h => h is HintedHandoff);
        Assert.Contains(hosted, h => h is AntiEntropy);
        Assert.True(provider.GetRequiredService<CausalContextCodec>().UsesDevelopmentKey);
    }
}
