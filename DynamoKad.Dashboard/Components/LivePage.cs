using DynamoKad.Dashboard.Cluster;
using Microsoft.AspNetCore.Components;
using Microsoft.FluentUI.AspNetCore.Components;

namespace DynamoKad.Dashboard.Components;

/// <summary>
/// A page that reads the whole cluster now and every two seconds, until the circuit goes away. A failed
/// refresh is shown on the page and retried on the next tick; it never breaks the circuit. The node list read while
/// prerendering is handed to the interactive circuit, so its first render shows the same nodes instead of an
/// empty list until its own first read answers.
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);

    private const string NodesStateKey = "dynamokad-nodes";

    private readonly CancellationTokenSource _stop = new();

    private PersistingComponentStateSubscription _persisting;

    [Inject]
    public required IClusterClient Cluster { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [Inject]
    public required IToastService Toasts { get; init; }

    [Inject]
    public required PersistentComponentState State { get; init; }

    protected IReadOnlyList<NodeStatus> Nodes { get; private set; } = [];

    protected DateTimeOffset? RefreshedAt { get; private set; }

    protected string? RefreshError { get; private set; }

    /// <summary>The last action's failure, shown on the page as well as in a toast; cleared by the next success.</summary>
    protected string? ActionError { get; private set; }

    protected CancellationToken Stopping => _stop.Token;

    public void Dispose()
    {
        _persisting.Dispose();
        _stop.Cancel();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override async Task OnInitializedAsync()
    {
        if (State.TryTakeFromJson<PrerenderedNodes>(NodesStateKey, out var prerendered) && prerendered is not null)
        {
            Nodes = prerendered.Nodes;
            RefreshedAt = prerendered.At;
        }

        _persisting = State.RegisterOnPersisting(() =>
        {
            State.PersistAsJson(NodesStateKey, new PrerenderedNodes(Nodes.ToArray(), RefreshedAt));
            return Task.CompletedTask;
        });
        await RefreshAsync();
        _ = RefreshLoopAsync();
    }

    /// <summary>Reads the cluster again now (after an action), without waiting for the next tick.</summary>
    protected async Task RefreshAsync()
    {
        try
        {
            Nodes = await Cluster.GetNodesAsync(_stop.Token);
            RefreshedAt = Time.GetLocalNow();
            RefreshError = null;
            await OnRefreshedAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            RefreshError = $"Could not read the cluster: {ex.Message}";
        }
    }

    /// <summary>Called after every successful refresh, for pages that read more than the node list.</summary>
    protected virtual Task OnRefreshedAsync() => Task.CompletedTask;

    /// <summary>Runs a user's action; a failure becomes an error toast with the node's message.</summary>
    protected async Task<bool> TryAsync(string what, Func<Task> action)
    {
        try
        {
            await action();
            ActionError = null;
            return true;
        }
        catch (NodeCallException ex)
        {
            ActionError = $"{what} failed: {ex.Message}";
        }
        catch (ArgumentException ex)
        {
            ActionError = $"{what}: {ex.Message}";
        }

        Toasts.ShowError(ActionError);
        return false;
    }

    private async Task RefreshLoopAsync()
    {
        using var timer = new PeriodicTimer(RefreshInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await InvokeAsync(async () =>
                {
                    await RefreshAsync();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The circuit went away.
        }
        catch (ObjectDisposedException)
        {
            // Disposed between two ticks.
        }
    }

    /// <summary>What a prerender read, for the circuit that takes over from it.</summary>
    internal sealed record PrerenderedNodes(NodeStatus[] Nodes, DateTimeOffset? At);
}
