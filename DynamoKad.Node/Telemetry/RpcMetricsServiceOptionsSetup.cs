using DynamoKad.Api;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.Options;

namespace DynamoKad.Telemetry;

/// <summary>
/// Puts <see cref="RpcMetricsInterceptor"/> on every gRPC service's own options except the client API's, which
/// records its metrics itself (<see cref="KeyValueGrpcService"/>). Registered as an open generic configure step for
/// all options, it acts only on <c>GrpcServiceOptions&lt;TService&gt;</c>: that covers services this node does not
/// name (grpc-dotnet's health service is internal to its package). Registered before any other per-service
/// interceptor, it runs first, so the metrics stay outermost and see the calls a later interceptor refuses.
/// </summary>
internal sealed class RpcMetricsServiceOptionsSetup<TOptions> : IConfigureOptions<TOptions>
    where TOptions : class
{
    public void Configure(TOptions options)
    {
        // Every GrpcServiceOptions<TService> derives from the global GrpcServiceOptions, which is left alone.
        if (options is GrpcServiceOptions service
            && typeof(TOptions) != typeof(GrpcServiceOptions)
            && typeof(TOptions) != typeof(GrpcServiceOptions<KeyValueGrpcService>))
        {
            service.Interceptors.Add<RpcMetricsInterceptor>();
        }
    }
}
