using DynamoKad.Api;
using DynamoKad.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DynamoKad.Transport.Faults;

/// <summary>DI for fault injection: the node's <see cref="FaultInjector"/> and the server half as an interceptor of the node-to-node services.</summary>
public static class FaultInjectionServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="FaultInjector"/> (this node's id from <see cref="NodeIdentity"/>) and
    /// <see cref="FaultServerInterceptor"/>. The client half is per peer: pass
    /// <c>address => new FaultClientInterceptor(address, injector)</c> to <see cref="PeerChannelPool"/>.
    /// </summary>
    public static IServiceCollection AddDynamoKadFaultInjection(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new FaultInjector(
            sp.GetRequiredService<NodeIdentity>().Id,
            sp.GetRequiredService<TimeProvider>(),
            random: null,
            sp.GetRequiredService<ILogger<FaultInjector>>()));
        services.TryAddSingleton<FaultServerInterceptor>();
        // On the node-to-node services only (FaultServerInterceptor.NodeToNodeServices), after the cluster secret's check.
        services.AddGrpc()
            .AddServiceOptions<ReplicaGrpcService>(grpc => grpc.Interceptors.Add<FaultServerInterceptor>())
            .AddServiceOptions<KademliaGrpcService>(grpc => grpc.Interceptors.Add<FaultServerInterceptor>());
        return services;
    }
}
