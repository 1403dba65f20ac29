using DynamoKad.AppHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var builder = DistributedApplication.CreateBuilder(args);
var settings = ClusterSettings.From(builder.Configuration, builder.AppHostDirectory);
if (settings.Clean && Directory.Exists(settings.DataRoot))
{
    Directory.Delete(settings.DataRoot, recursive: true);
}

// --- The cluster secret: one generated value for every node, the dashboard and the resource commands.
var secret = builder.AddClusterSecret();

// --- Nodes: node0..node{N-1}, each its own project resource so each can be stopped on its own, each with
// the same N/R/W defaults and the fault commands (Partition, Heal, Add latency, Drop 30%).
var nodes = Enumerable.Range(0, settings.Nodes)
    .Select(i => builder.AddDynamoKadNode($"node{i}", settings, secret).WithFaultCommands(secret))
    .ToList();

// --- Seeds: every node knows every other node's gRPC address (through configuration, not ports).
foreach (var node in nodes)
{
    node.WithSeeds(nodes.Where(other => other != node));
}

// --- The DynamoKad dashboard: waits for the nodes and reads them over their gRPC Admin API.
var dashboard = builder.AddDynamoKadDashboard("dashboard", settings.DashboardPort, nodes, secret);
if (builder.Configuration["ASPNETCORE_URLS"] is { Length: > 0 } aspireUrls)
{
    // The Aspire dashboard's own URL, so the DynamoKad dashboard can link a request to its trace there.
    dashboard.WithEnvironment("DynamoKad__AspireDashboardUrl", aspireUrls.Split(';')[0]);
}

builder.Eventing.Subscribe<ResourceReadyEvent>(dashboard.Resource, (e, _) =>
{
    var url = dashboard.GetEndpoint("http").Url;
    e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DynamoKad")
        .LogInformation(
            "DynamoKad dashboard: {DashboardUrl} ({Nodes} nodes, N={N} R={R} W={W}, data in {DataRoot})",
            url, settings.Nodes, settings.N, settings.R, settings.W, settings.DataRoot);
    return Task.CompletedTask;
});

builder.Build().Run();
