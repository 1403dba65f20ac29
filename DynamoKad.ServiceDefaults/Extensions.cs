using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Defaults shared by every DynamoKad service: OpenTelemetry (OTLP when Aspire sets the endpoint),
/// health checks and service discovery.
/// </summary>
public static class Extensions
{
    /// <summary>Everything a service adds to its own ActivitySources and Meters goes through these names.</summary>
    public const string TelemetryName = "DynamoKad";

    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";
    private const string MetricsEndpointPath = "/metrics";

    /// <summary>The logger category of ASP.NET Core's per-request diagnostics (its request Activity and scope).</summary>
    public const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();

        // Only HttpClientFactory clients get the standard resilience handler. Node-to-node gRPC uses
        // its own channel per peer with explicit deadlines (a retrying handler would hide faults and
        // multiply load exactly when a replica is slow), so it never passes through this pipeline.
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var exporting = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!exporting && builder.Configuration[$"Logging:LogLevel:{HostingDiagnosticsCategory}"] is null)
        {
            // ASP.NET Core starts an Activity and a logging scope for every request whenever its hosting logger is on
            // at any level, for the trace ids of log lines. With nothing exporting there are no traces, and the
            // console shows no scopes: the Activity is pure cost (1.3 % of a node's CPU in a get profile). Setting the
            // category in configuration brings it back; with an exporter, tracing listens and creates it anyway.
            builder.Logging.AddFilter(HostingDiagnosticsCategory, LogLevel.None);
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddRuntimeInstrumentation().AddMeter(TelemetryName);
                // ASP.NET Core's and HttpClient's own per-request metrics (a histogram record with route, method,
                // status and protocol tags for every call, both ends of every node-to-node call) only when an
                // exporter sends them somewhere: Prometheus scrapes of /metrics get the service's own meter, which
                // already counts every request, and the runtime's.
                if (exporting)
                {
                    metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                }
            });

        // Traces only when something exports them: a tracer provider with nothing behind it still samples every
        // request and builds its spans (about nine per put across the cluster) for nobody. Spans still carry the
        // W3C context between nodes either way, and listeners of their own (tests) still see every span.
        if (exporting)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryName)
                .AddAspNetCoreInstrumentation(options =>
                    // Health probes and metric scrapes every few seconds would drown the traces people came to see.
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                        && !context.Request.Path.StartsWithSegments(MetricsEndpointPath))
                .AddHttpClientInstrumentation());
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (every check must pass) and <c>/alive</c> (the process answers) in every
    /// environment: an orchestrator outside Development needs them as much as Aspire does.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains("live"),
        });
        return app;
    }
}
