using DynamoKad.AppHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var builder = DistributedApplication.CreateBuilder(args);
var settings = ClusterSettings.From(builder.Configuration, builder.AppHostDirectory);
if (settings.Clean && Directory.Exists(settings.DataRoot))
{
    Directory.Delete(settings.DataRoot, recursive: true);
}

// --- Nodes: node0..node{N-1}, each its own project resource so each can be stopped on its own.
var nodes = Enumerable.Range(0, settings.Nodes)
    .Select(i => builder.AddDynamoKadNode($"node{i}", settings.NodeDataDir($"node{i}")))
    .ToList();

// --- Seeds: every node knows every other node's gRPC address (through configuration, not ports).
foreach (var node in nodes)
{
    node.WithSeeds(nodes.Where(other => other != node));
}

// --- The DynamoKad dashboard: waits for the nodes and reads them over their gRPC Admin API.
var dashboard = builder.AddDynamoKadDashboard("dashboard", settings.DashboardPort, nodes);

builder.Eventing.Subscribe<ResourceReadyEvent>(dashboard.Resource, (e, _) =>
{
    var url = dashboard.GetEndpoint("http").Url;
    e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DynamoKad")
        .LogInformation("DynamoKad dashboard: {DashboardUrl} ({Nodes} nodes, data in {DataRoot})", url, settings.Nodes, settings.DataRoot);
    return Task.CompletedTask;
});

builder.Build().Run();
