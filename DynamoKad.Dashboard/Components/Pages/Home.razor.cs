using DynamoKad.Dashboard.Cluster;
using Microsoft.AspNetCore.Components;

namespace DynamoKad.Dashboard.Components.Pages;

/// <summary>Every configured node, read over gRPC and refreshed every two seconds.</summary>
public partial class Home : ComponentBase, IDisposable
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stop = new();
    private IReadOnlyList<NodeStatus> _nodes = [];
    private DateTime? _refreshedAt;
    private string? _error;

    [Inject]
    public required IClusterClient Cluster { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override async Task OnInitializedAsync()
    {
        await RefreshAsync();
        _ = RefreshLoopAsync();
    }

    private async Task RefreshLoopAsync()
    {
        using var timer = new PeriodicTimer(RefreshInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await RefreshAsync();
                await InvokeAsync(StateHasChanged);
            }
        }
        catch (OperationCanceledException)
        {
            // The circuit went away.
        }
    }

    private async Task RefreshAsync()
    {
        try
        {
            _nodes = await Cluster.GetNodesAsync(_stop.Token);
            _refreshedAt = Time.GetLocalNow().DateTime;
            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A failure to read the cluster is shown, never allowed to break the circuit.
            _error = $"Could not read the cluster: {ex.Message}";
        }
    }

    private static string FormatUptime(TimeSpan? uptime) =>
        uptime is { } u ? (u.TotalHours >= 1 ? $"{(int)u.TotalHours}h {u.Minutes}m" : $"{u.Minutes}m {u.Seconds}s") : "—";
}
