using DynamoKad.Dashboard.Cluster;
using Microsoft.AspNetCore.Components;

namespace DynamoKad.Dashboard.Components.Pages;

/// <summary>The ring and the node list, refreshed every two seconds.</summary>
public partial class Home : LivePage
{
    private IReadOnlyDictionary<string, NodeState> _states = new Dictionary<string, NodeState>();

    [Inject]
    public required NavigationManager Navigation { get; init; }

    protected override Task OnRefreshedAsync()
    {
        _states = NodeStates.Classify(Nodes);
        return Task.CompletedTask;
    }

    private NodeState StateOf(NodeStatus node) => _states.GetValueOrDefault(node.Name, NodeState.Down);

    private void OpenNode(string name) => Navigation.NavigateTo($"nodes/{Uri.EscapeDataString(name)}");

    private static string FormatUptime(TimeSpan? uptime) =>
        uptime is { } u ? (u.TotalHours >= 1 ? $"{(int)u.TotalHours}h {u.Minutes}m" : $"{u.Minutes}m {u.Seconds}s") : "—";
}
