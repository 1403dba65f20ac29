using DynamoKad.Api;
using DynamoKad.Http;
using DynamoKad.Security;
using DynamoKad.Transport;
using DynamoKad.Transport.Faults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DynamoKad.Hosting;

/// <summary>
/// The node as a product: cluster secret and fault injection on the transport, the Admin service's helpers,
/// request size limits, the HTTP JSON API, gRPC health checking and server reflection.
/// </summary>
public static class NodeApiExtensions
{
    /// <summary>Node-to-node messages: a SyncKeys batch or a large replica write must fit.</summary>
    public const int MaxNodeMessageBytes = 16 * 1024 * 1024;

    /// <summary>Admin requests are small; the answers (routing table, inspector) are not limited here.</summary>
    public const int MaxAdminMessageBytes = 1024 * 1024;

    public static WebApplicationBuilder AddDynamoKadApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>());
        services.AddOptions<ClusterOptions>().ValidateOnStart();

        // Without a secret anyone who reaches the node could write replicas or inject faults: loopback only.
        // Raw configuration, not IOptions<ClusterOptions>: node options are read while the host is built, and
        // validating the cluster options that early would hide every other configuration problem.
        services.AddOptions<NodeOptions>().PostConfigure<IConfiguration>((node, configuration) =>
        {
            var secured = new ClusterSecret(configuration[$"{ClusterOptions.SectionName}:Secret"]).IsConfigured;
            if (NodeOptions.TryParseEndPoint(node.Listen, out var listen))
            {
                node.Listen = LoopbackBinding.Restrict(listen, secured).ToString();
            }

            if (NodeOptions.TryParseEndPoint(node.Http, out var http))
            {
                node.Http = LoopbackBinding.Restrict(http, secured).ToString();
            }
        });

        // Security first: an unauthenticated call must not reach the fault interceptor or a service.
        services.AddDynamoKadClusterSecret();
        services.AddDynamoKadFaultInjection();
        services.Replace(ServiceDescriptor.Singleton(sp => new PeerChannelPool(
            [sp.GetRequiredService<ClusterSecretClientInterceptor>()],
            address => new FaultClientInterceptor(address, sp.GetRequiredService<FaultInjector>()))));

        var limits = ClientRequestLimits.FromConfiguration(builder.Configuration);
        services.TryAddSingleton(limits);
        services.TryAddSingleton<RequestStatistics>();
        services.TryAddSingleton<LocalKeyReader>();
        services.TryAddSingleton<ReplicaInspector>();

        services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = MaxNodeMessageBytes)
            .AddServiceOptions<KeyValueGrpcService>(kv => kv.MaxReceiveMessageSize = limits.MaxRequestBytes)
            .AddServiceOptions<AdminGrpcService>(admin => admin.MaxReceiveMessageSize = MaxAdminMessageBytes);
        services.AddGrpcHealthChecks();
        services.AddGrpcReflection();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Kestrel's body limit is server-wide and applies to gRPC requests too, so it must admit the largest
            // node-to-node message; each gRPC service is bounded per message above, and the HTTP API refuses a
            // value over the limit itself, as a 400 naming the field.
            kestrel.Limits.MaxRequestBodySize = Math.Max(MaxNodeMessageBytes, limits.MaxRequestBytes) + ClientRequestLimits.Overhead;
        });
        return builder;
    }

    public static WebApplication MapDynamoKadApi(this WebApplication app)
    {
        app.MapDynamoKadHttpApi();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();

        // Resolved once started: options are validated at start, all together (a bad secret is reported there).
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var secret = app.Services.GetRequiredService<ClusterSecret>();
            var options = app.Services.GetRequiredService<IOptions<NodeOptions>>().Value;
            if (secret.IsConfigured)
            {
                app.Logger.LogInformation("Cluster secret configured: node-to-node and Admin calls must carry it ({Header})", ClusterSecret.MetadataKey);
                return;
            }

            app.Logger.LogWarning(
                "No cluster secret configured ({Setting}): this node binds only to loopback (gRPC {Grpc}, HTTP {Http}) and accepts node-to-node and Admin calls without authentication. Set {Setting} (or DynamoKad__Cluster__Secret) on every node to serve other machines",
                $"{ClusterOptions.SectionName}:Secret", options.Listen, options.Http, $"{ClusterOptions.SectionName}:Secret");
        });
        return app;
    }
}
