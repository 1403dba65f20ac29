using DynamoKad.Hosting;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DynamoKad.Security;

/// <summary>DI for the cluster secret: the secret itself, the server check on protected services and the client half.</summary>
public static class SecurityServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ClusterSecret"/> (from <c>DynamoKad:Cluster:Secret</c>), <see cref="ClusterSecretClientInterceptor"/>
    /// for the node's own channels, and <see cref="ClusterSecretServerInterceptor"/> as a global gRPC interceptor.
    /// Call it before any other global interceptor: an unauthenticated call must not reach them.
    /// </summary>
    public static IServiceCollection AddDynamoKadClusterSecret(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new ClusterSecret(sp.GetRequiredService<IOptions<ClusterOptions>>().Value.Secret));
        services.TryAddSingleton<ClusterSecretClientInterceptor>();
        services.TryAddSingleton<ClusterSecretServerInterceptor>();
        services.Configure<GrpcServiceOptions>(grpc => grpc.Interceptors.Add<ClusterSecretServerInterceptor>());
        return services;
    }
}
