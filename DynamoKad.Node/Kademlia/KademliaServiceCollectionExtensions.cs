using DynamoKad.Hosting;
using DynamoKad.Transport;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DynamoKad.Kademlia;

/// <summary>Registers the overlay: options, the gRPC network, the node engine, its maintenance and health.</summary>
public static class KademliaServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="KademliaOptions"/> (section <c>DynamoKad:Kademlia</c>, validated at start-up),
    /// <see cref="GrpcKademliaNetwork"/> as <see cref="IKademliaNetwork"/>, a singleton
    /// <see cref="KademliaNode"/> whose contact is the node identity and advertised address, the hosted
    /// service that joins and refreshes, and the "kademlia" health check.
    /// Needs <see cref="NodeIdentity"/> and <see cref="NodeOptions"/> (registered by AddDynamoKadNode).
    /// </summary>
    public static IServiceCollection AddDynamoKadKademlia(this IServiceCollection services)
    {
        services.AddOptions<KademliaOptions>()
            .BindConfiguration(KademliaOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KademliaOptions>, KademliaOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PeerChannelPool>();
        services.TryAddSingleton<GrpcKademliaNetwork>();
        services.TryAddSingleton<IKademliaNetwork>(sp => sp.GetRequiredService<GrpcKademliaNetwork>());
        services.TryAddSingleton(sp =>
        {
            var identity = sp.GetRequiredService<NodeIdentity>();
            var address = sp.GetRequiredService<IOptions<NodeOptions>>().Value.ResolvedAdvertisedAddress;
            return new KademliaNode(
                new Contact(identity.Id, address),
                sp.GetRequiredService<IKademliaNetwork>(),
                sp.GetRequiredService<IOptions<KademliaOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                new Random(),
                sp.GetRequiredService<ILogger<KademliaNode>>());
        });

        services.AddHostedService<KademliaMaintenanceService>();
        services.AddHealthChecks().AddCheck<KademliaHealthCheck>("kademlia");
        return services;
    }
}
