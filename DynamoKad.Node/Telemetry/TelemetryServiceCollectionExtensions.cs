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
        // Per service, not global: the client API records its RPC metrics itself, so that a KeyValue call passes no
        // interceptor at all and grpc-dotnet calls the service method directly, without the interceptor pipeline's async
        // frame, closures and per-call activation. Every other service (health and reflection too, and any added
        // later) gets the interceptor first, before any of its own (see RpcMetricsServiceOptionsSetup).
        services.AddGrpc();
        services.AddSingleton(typeof(IConfigureOptions<>), typeof(RpcMetricsServiceOptionsSetup<>));
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
        // Nothing is resolved before the host starts: reading options here would validate them one type at a
        // time and stop at the first failure, instead of start-up validation reporting every wrong setting.
        // The observable gauges exist once their owner does.
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<NodeGauges>());
        var options = app.Services.GetRequiredService<IOptions<NodeOptions>>();
        var httpPort = new Lazy<int>(() => options.Value.HttpEndPoint.Port);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
            context.Request.Path == MetricsPath && context.Connection.LocalPort == httpPort.Value);
        return app;
    }
}
