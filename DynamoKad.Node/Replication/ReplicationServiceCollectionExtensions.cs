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
        services.TryAddSingleton(sp => new CausalContextCodec(sp.GetService<IOptions<ClusterOptions>>()?.Value.Secret));
        services.TryAddSingleton<ReplicationMetrics>();
        services.TryAddSingleton<LocalReplica>();
        services.TryAddSingleton<IReplicaNetwork>(sp => new GrpcReplicaNetwork(
            sp.GetRequiredService<PeerChannelPool>(), sp.GetService<FaultInjector>(), LinkCredentials(sp)));
        services.TryAddSingleton<QuorumCoordinator>();
        services.TryAddSingleton<HintedHandoff>();
        services.TryAddSingleton<AntiEntropy>();
        services.AddHostedService(sp => sp.GetRequiredService<HintedHandoff>());
        services.AddHostedService(sp => sp.GetRequiredService<AntiEntropy>());
        return services;
    }

    /// <summary>What this node presents on its replica links; null when they are off (stream calls instead).</summary>
    private static ReplicaLinkCredentials? LinkCredentials(IServiceProvider services)
    {
        if (!services.GetRequiredService<IOptions<ReplicationOptions>>().Value.ReplicaLinks)
        {
            return null;
        }

        // The node's ClusterSecret (whose checks the callee applies); hosts without the security services read the option.
        var secret = services.GetService<Security.ClusterSecret>()
            ?? new Security.ClusterSecret(services.GetService<IOptions<ClusterOptions>>()?.Value.Secret);
        return new ReplicaLinkCredentials(services.GetRequiredService<IReplicaPlacement>().Self, secret.Value);
    }
}
