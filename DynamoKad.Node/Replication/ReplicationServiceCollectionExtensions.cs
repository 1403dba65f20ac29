using DynamoKad.Hosting;
using DynamoKad.Transport;
using DynamoKad.Transport.Faults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DynamoKad.Replication;

/// <summary>DI for replication. The host must also register an <c>IStorageEngine</c> and an <see cref="IReplicaPlacement"/>.</summary>
public static class ReplicationServiceCollectionExtensions
{
    public static IServiceCollection AddDynamoKadReplication(this IServiceCollection services)
    {
        services.AddOptions<ReplicationOptions>()
            .BindConfiguration(ReplicationOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReplicationOptions>, ReplicationOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PeerChannelPool>();
        services.TryAddSingleton(sp => new CausalContextCodec(new Security.ClusterSecret(sp.GetService<IOptions<ClusterOptions>>()?.Value.Secret).Value));
        services.TryAddSingleton<ReplicationMetrics>();
        services.TryAddSingleton<LocalReplica>();
        services.TryAddSingleton<IReplicaNetwork>(sp => new GrpcReplicaNetwork(
            sp.GetRequiredService<PeerChannelPool>(),
            sp.GetService<FaultInjector>(),
            sp.GetRequiredService<IOptions<ReplicationOptions>>().Value.ReplicaLinks
                ? new ReplicaLinkCredentials(sp.GetRequiredService<IReplicaPlacement>().Self, new Security.ClusterSecret(sp.GetService<IOptions<ClusterOptions>>()?.Value.Secret).Value)
                : null));
        services.TryAddSingleton<QuorumCoordinator>();
        services.TryAddSingleton<HintedHandoff>();
        services.TryAddSingleton<AntiEntropy>();
        services.AddHostedService(sp => sp.GetRequiredService<HintedHandoff>());
        services.AddHostedService(sp => sp.GetRequiredService<AntiEntropy>());
        return services;
    }
}
