using DynamoKad.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace DynamoKad.Telemetry;

/// <summary>The node's own telemetry on top of ServiceDefaults: RPC metrics, state gauges and the Prometheus endpoint.</summary>
public static class TelemetryServiceCollectionExtensions
{
    public const string MetricsPath = "/metrics";

    /// <summary>Call before any other gRPC interceptor is added, so that RPC metrics are outermost.</summary>
    public static IServiceCollection AddDynamoKadTelemetry(this IServiceCollection services)
    {
        services.AddSingleton<RpcMetricsInterceptor>();
        services.AddGrpc(grpc => grpc.Interceptors.Add<RpcMetricsInterceptor>());
        services.AddSingleton<NodeGauges>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// Serves <c>/metrics</c> (Prometheus text format) on the node's HTTP endpoint only: the gRPC endpoint is
    /// HTTP/2 for peers and clients, and a scraper has no business there.
    /// </summary>
    public static WebApplication MapDynamoKadMetrics(this WebApplication app)
    {
        // Observable gauges exist once their owner does. Created once started, not while mapping: the gauges
        // open storage and the overlay, whose options are validated at start all together (one line each).
        app.Lifetime.ApplicationStarted.Register(() => _ = app.Services.GetRequiredService<NodeGauges>());
        var httpPort = app.Services.GetRequiredService<IOptions<NodeOptions>>().Value.HttpEndPoint.Port;
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
            context.Request.Path == MetricsPath && context.Connection.LocalPort == httpPort);
        return app;
    }
}
