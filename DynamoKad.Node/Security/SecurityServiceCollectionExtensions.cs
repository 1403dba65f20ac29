using DynamoKad.Api;
using DynamoKad.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DynamoKad.Security;

/// <summary>DI for the cluster secret: the secret itself, the server check on protected services and the client half.</summary>
public static class SecurityServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ClusterSecret"/> (from <c>DynamoKad:Cluster:Secret</c>), <see cref="ClusterSecretClientInterceptor"/>
    /// for the node's own channels, and <see cref="ClusterSecretServerInterceptor"/> as a gRPC interceptor of the services it
    /// protects (<see cref="ClusterSecretServerInterceptor.ProtectedServices"/>), after the global ones (RPC metrics).
    /// Call it before adding any other interceptor to those services: an unauthenticated call must not reach them.
    /// </summary>
    public static IServiceCollection AddDynamoKadClusterSecret(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new ClusterSecret(sp.GetRequiredService<IOptions<ClusterOptions>>().Value.Secret));
        services.TryAddSingleton<ClusterSecretClientInterceptor>();
        services.TryAddSingleton<ClusterSecretServerInterceptor>();
        // On the services it guards only, not globally: every interceptor a service has costs each of its calls a layer
        // of grpc-dotnet's pipeline (an async wrapper and its state machine), and the client API is never checked.
        services.AddGrpc()
            .AddServiceOptions<ReplicaGrpcService>(grpc => grpc.Interceptors.Add<ClusterSecretServerInterceptor>())
            .AddServiceOptions<KademliaGrpcService>(grpc => grpc.Interceptors.Add<ClusterSecretServerInterceptor>())
            .AddServiceOptions<AdminGrpcService>(grpc => grpc.Interceptors.Add<ClusterSecretServerInterceptor>());
        return services;
    }
}
