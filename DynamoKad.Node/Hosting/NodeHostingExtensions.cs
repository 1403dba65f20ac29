using DynamoKad.Api;
using DynamoKad.Kademlia;
using DynamoKad.Replication;
using DynamoKad.Storage;
using DynamoKad.Telemetry;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace DynamoKad.Hosting;

/// <summary>Registers and maps a DynamoKad node: the table of contents of the node's host.</summary>
public static class NodeHostingExtensions
{
    public static WebApplicationBuilder AddDynamoKadNode(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<NodeOptions>()
            .BindConfiguration(NodeOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<NodeOptions>, NodeOptionsValidator>();
        services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.SectionName);

        services.AddOptions<HostOptions>().Configure<IOptions<NodeOptions>>((host, node) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(Math.Clamp(node.Value.ShutdownTimeoutSeconds, 1, 600)));

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<NodeClock>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<NodeOptions>>().Value;
            var id = NodeIdentity.LoadOrCreate(options.ResolvedDataDir);
            return new NodeIdentity(id, options.Name ?? string.Empty);
        });

        services.AddDynamoKadStorage();
        ConfigureEndpoints(builder);
        services.AddDynamoKadTelemetry();
        services.AddGrpc();
        // The per-request services are singletons: grpc-dotnet otherwise creates the service for every call.
        services.AddSingleton<KeyValueGrpcService>();
        services.AddSingleton<ReplicaGrpcService>();
        services.AddSingleton<ReplicaLinkHandler>();
        services.AddDynamoKadKademlia();
        services.AddSingleton<KademliaReplicaPlacement>();
        services.AddSingleton<IReplicaPlacement>(sp => sp.GetRequiredService<KademliaReplicaPlacement>());
        services.AddDynamoKadReplication();
        builder.AddDynamoKadApi();
        return builder;
    }

    public static WebApplication MapDynamoKadNode(this WebApplication app)
    {
        app.MapGrpcService<AdminGrpcService>();
        app.MapGrpcService<KademliaGrpcService>();
        app.MapGrpcService<ReplicaGrpcService>();
        app.MapGrpcService<KeyValueGrpcService>();
        app.MapDefaultEndpoints();
        app.MapDynamoKadApi();
        app.MapDynamoKadMetrics();

        // Resolved now, not at the first request: the id file is read (or created) and uptime starts at start-up.
        var identity = app.Services.GetRequiredService<NodeIdentity>();
        _ = app.Services.GetRequiredService<NodeClock>();
        var options = app.Services.GetRequiredService<IOptions<NodeOptions>>().Value;
        app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogInformation(
            "DynamoKad node {Name} id {NodeId} serving gRPC on {Grpc} (advertised {Advertised}) and HTTP on {Http}, data in {DataDir}",
            identity.Name, identity.Id, options.Listen, options.ResolvedAdvertisedAddress, options.Http,
            Path.GetFullPath(options.ResolvedDataDir)));
        return app;
    }

    /// <summary>
    /// Two Kestrel endpoints: gRPC on HTTP/2 only (a cleartext endpoint offering HTTP/1.1 as well would
    /// silently serve HTTP/1.1 only, since h2c has no ALPN to upgrade with) and HTTP/1.1 for health,
    /// the JSON API and metrics. Explicit Listen calls replace any ASPNETCORE_URLS an orchestrator sets.
    /// </summary>
    private static void ConfigureEndpoints(WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The options, not raw configuration: without a cluster secret they are restricted to loopback.
            var options = kestrel.ApplicationServices.GetRequiredService<IOptions<NodeOptions>>().Value;
            kestrel.Listen(options.ListenEndPoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                // Replica links (plain TCP, see ReplicaLink) share the gRPC port: they open with their own preamble.
                listen.Use(ReplicaLinkHandler.Middleware(listen.ApplicationServices));
            });
            kestrel.Listen(options.HttpEndPoint, listen => listen.Protocols = HttpProtocols.Http1);
        });
    }
}
