using DynamoKad.Dashboard.Cluster;
using DynamoKad.Dashboard.Geometry;
using DynamoKad.Dashboard.Telemetry;
using DynamoKad.Protos.V1;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.WebUtilities;

namespace DynamoKad.Dashboard.Components.Pages;

/// <summary>
/// One key: where it sits on the ring, which nodes hold it (from the replica inspector), and put / get / delete /
/// resolve through a chosen coordinator. <c>/keys?key=k</c> opens a key directly.
/// </summary>
public partial class Keys : LivePage
{
    private const int FallbackReplicationFactor = 3;

    private string _key = string.Empty;
    private string _value = string.Empty;
    private string _coordinator = string.Empty;
    private int? _n;
    private int? _r;
    private int? _w;
    private bool _busy;

    private string? _inspectedKey;
    private string? _keyId;
    private KeyInspection? _inspection;
    private string? _inspectionNote;
    private IReadOnlyCollection<string> _preferred = [];
    private IReadOnlyCollection<string> _fallbacks = [];

    private string? _readKey;
    private GetResponse? _read;
    private string? _lastAction;
    private Uri? _traceUrl;

    [Inject]
    public required NavigationManager Navigation { get; init; }

    protected override async Task OnInitializedAsync()
    {
        _coordinator = Cluster.Nodes.FirstOrDefault()?.Name ?? string.Empty;
        var query = QueryHelpers.ParseQuery(Navigation.ToAbsoluteUri(Navigation.Uri).Query);
        if (query.TryGetValue("key", out var key) && !string.IsNullOrEmpty(key))
        {
            _key = key.ToString();
        }

        if (query.TryGetValue("node", out var node) && Cluster.Nodes.Any(n => n.Name == node))
        {
            _coordinator = node.ToString();
        }

        await base.OnInitializedAsync();
        if (!string.IsNullOrEmpty(_key))
        {
            await GetAsync();
        }
    }

    protected override async Task OnRefreshedAsync()
    {
        // The first healthy node coordinates unless the person chose one.
        if (Nodes.FirstOrDefault(n => n.Name == _coordinator) is not { Healthy: true } && Nodes.FirstOrDefault(n => n.Healthy) is { } healthy)
        {
            _coordinator = healthy.Name;
        }

        // Keep the replica view live: a partition or a repair shows up without a click.
        if (_inspectedKey is not null && !_busy)
        {
            await InspectQuietlyAsync(_inspectedKey);
        }
    }

    private QuorumSettings Quorum => new(ToUInt(_n), ToUInt(_r), ToUInt(_w));

    private bool HasContextFor(string key) => _read is { Context.Length: > 0 } && _readKey == key;

    private string NameOf(string nodeId) =>
        Nodes.FirstOrDefault(n => string.Equals(n.NodeId, nodeId, StringComparison.OrdinalIgnoreCase))?.Name ?? ClockFormat.ShortId(nodeId);

    private Task InspectAsync() => RunAsync("Inspect", async () =>
    {
        await InspectQuietlyAsync(_key);
        _lastAction = null;
    });

    private Task GetAsync() => RunAsync("Get", async () =>
    {
        var key = _key;
        using var activity = DashboardTelemetry.Source.StartActivity("dashboard.get");
        activity?.SetTag("dynamokad.key", key);
        _read = await Cluster.GetAsync(_coordinator, key, Quorum, Stopping);
        _readKey = key;
        Done(activity, _read.Found
            ? $"get {key} via {_coordinator}: {_read.Siblings.Count} version(s) from {_read.ReplicasAnswered} replicas"
            : $"get {key} via {_coordinator}: not found");
        await InspectQuietlyAsync(key);
    });

    private Task PutAsync() => RunAsync("Put", async () =>
    {
        var key = _key;
        using var activity = DashboardTelemetry.Source.StartActivity("dashboard.put");
        activity?.SetTag("dynamokad.key", key);
        var response = await Cluster.PutAsync(_coordinator, key, _value, HasContextFor(key) ? _read!.Context : null, Quorum, Stopping);
        var concurrent = response.Siblings.Count == 0 ? "" : $"; {response.Siblings.Count} concurrent value(s) kept beside it";
        Done(activity, $"put {key} via {_coordinator}: acknowledged by {response.Acks} replicas{concurrent}");
        await ReadBackAsync(key);
    });

    private Task DeleteAsync() => RunAsync("Delete", async () =>
    {
        var key = _key;
        using var activity = DashboardTelemetry.Source.StartActivity("dashboard.delete");
        activity?.SetTag("dynamokad.key", key);
        var response = await Cluster.DeleteAsync(_coordinator, key, HasContextFor(key) ? _read!.Context : null, Quorum, Stopping);
        Done(activity, $"delete {key} via {_coordinator}: tombstone acknowledged by {response.Acks} replicas");
        await ReadBackAsync(key);
    });

    /// <summary>Writes the chosen or merged value with the read's context: it descends from every sibling, so it replaces them.</summary>
    private Task ResolveAsync(string value) => RunAsync("Resolve", async () =>
    {
        if (_read is null || _readKey is null)
        {
            return;
        }

        var key = _readKey;
        using var activity = DashboardTelemetry.Source.StartActivity("dashboard.resolve");
        activity?.SetTag("dynamokad.key", key);
        var response = await Cluster.PutAsync(_coordinator, key, value, _read.Context, Quorum, Stopping);
        Done(activity, $"resolved {key} via {_coordinator} with the read's context: acknowledged by {response.Acks} replicas");
        await ReadBackAsync(key);
    });

    private async Task ReadBackAsync(string key)
    {
        try
        {
            _read = await Cluster.GetAsync(_coordinator, key, Quorum, Stopping);
            _readKey = key;
        }
        catch (NodeCallException ex)
        {
            Toasts.ShowWarning($"The write succeeded, but reading it back failed: {ex.Message}");
        }

        await InspectQuietlyAsync(key);
    }

    private async Task InspectQuietlyAsync(string key)
    {
        _inspectedKey = key;
        _keyId = KeyPlacement.KeyId(key);
        try
        {
            _inspection = await Cluster.InspectKeyAsync(_coordinator, key, ToUInt(_n), Stopping);
            _inspectionNote = null;
            _preferred = _inspection.Replicas.Where(r => r.Preferred).Select(r => r.NodeId).ToList();
            _fallbacks = _inspection.Replicas.Where(r => !r.Preferred).Select(r => r.NodeId)
                .Concat(_inspection.Hints.Select(h => h.HolderNodeId))
                .Except(_preferred, StringComparer.OrdinalIgnoreCase)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToList();
        }
        catch (NodeCallException ex)
        {
            // Without the inspector the placement is still known: the N closest live ids to SHA-1(key).
            var n = _n ?? (int)(Nodes.FirstOrDefault(x => x.N is > 0)?.N ?? FallbackReplicationFactor);
            _inspection = null;
            _preferred = KeyPlacement.PreferenceList(_keyId, Nodes.Where(x => x.Healthy && x.NodeId is not null).Select(x => x.NodeId!), n);
            _fallbacks = [];
            _inspectionNote = $"The replica inspector did not answer ({ex.Message}). The ring shows the preference list computed here "
                + $"from SHA-1(key) and the {n} closest live node ids; per-replica versions are unknown.";
        }
    }

    private async Task RunAsync(string what, Func<Task> action)
    {
        if (string.IsNullOrEmpty(_key) && what != "Resolve")
        {
            // The buttons stay enabled (a disabled custom element swallows a click that raced the typing): say why nothing happens.
            Toasts.ShowWarning("Type a key first.");
            return;
        }

        _busy = true;
        try
        {
            if (!await TryAsync(what, action))
            {
                _lastAction = null;
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private void Done(System.Diagnostics.Activity? activity, string message)
    {
        _lastAction = message;
        _traceUrl = activity is not null && Cluster.AspireDashboardUrl is { } aspire
            ? DashboardTelemetry.TraceUrl(aspire, activity.TraceId.ToHexString())
            : null;
    }

    private static uint? ToUInt(int? value) => value is > 0 ? (uint)value : null;
}
