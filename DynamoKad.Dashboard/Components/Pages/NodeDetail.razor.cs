using DynamoKad.Dashboard.Cluster;
using DynamoKad.Protos.V1;
using Microsoft.AspNetCore.Components;

namespace DynamoKad.Dashboard.Components.Pages;

/// <summary>One node's routing table, hints, storage and anti-entropy, refreshed with the cluster.</summary>
public partial class NodeDetail : LivePage
{
    private NodeStatus? _node;
    private NodeState _state = NodeState.Down;
    private RoutingTableView? _routing;
    private string? _routingError;
    private NodeStats? _stats;
    private string? _statsError;

    [Parameter]
    public string Name { get; set; } = string.Empty;

    protected override async Task OnRefreshedAsync()
    {
        _node = Nodes.FirstOrDefault(n => string.Equals(n.Name, Name, StringComparison.OrdinalIgnoreCase));
        _state = NodeStates.Classify(Nodes).GetValueOrDefault(Name, NodeState.Down);
        if (_node is not { Healthy: true })
        {
            // Keep the last answers: a node going away greys out, its last picture stays.
            return;
        }

        var routing = Cluster.GetRoutingTableAsync(_node.Name, Stopping);
        var stats = Cluster.GetStatsAsync(_node.Name, Stopping);
        try
        {
            _routing = await routing;
            _routingError = null;
        }
        catch (NodeCallException ex)
        {
            _routingError = $"The routing table is not available: {ex.Message}";
        }

        try
        {
            _stats = await stats;
            _statsError = null;
        }
        catch (NodeCallException ex)
        {
            _statsError = $"Statistics are not available: {ex.Message}";
        }
    }

    private string NameOf(string nodeId) =>
        Nodes.FirstOrDefault(n => string.Equals(n.NodeId, nodeId, StringComparison.OrdinalIgnoreCase))?.Name ?? ClockFormat.ShortId(nodeId);

    private static string Bytes(ulong bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        _ => $"{bytes / (1024.0 * 1024):0.#} MiB",
    };
}
