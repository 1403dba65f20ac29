using DynamoKad.Dashboard.Cluster;
using DynamoKad.Protos.V1;

namespace DynamoKad.Dashboard.Components.Pages;

/// <summary>
/// Break the cluster on purpose: a node x node matrix of cut links, and per-node isolation, latency and drops.
/// Every change is a SetFaults on the nodes concerned, so it travels the same path as the Aspire commands and the
/// tests; the page reads the cluster again at once so the ring shows it.
/// </summary>
public partial class Faults : LivePage
{
    private readonly Dictionary<string, DegradationEdit> _edits = new(StringComparer.OrdinalIgnoreCase);
    private IReadOnlyDictionary<string, NodeState> _states = new Dictionary<string, NodeState>();
    private List<string> _faultsUnavailable = [];
    private bool _busy;

    internal enum LinkState
    {
        Self,
        Open,
        Cut,
        Unknown,
    }

    protected override Task OnRefreshedAsync()
    {
        _states = NodeStates.Classify(Nodes);
        _faultsUnavailable = Nodes.Where(n => n.Healthy && n.Faults is null).Select(n => n.Name).ToList();
        foreach (var node in Nodes)
        {
            // The edit fields follow the node until the person changes them.
            var edit = EditOf(node.Name);
            if (!edit.Touched)
            {
                edit.Reset(node.Faults);
            }
        }

        return Task.CompletedTask;
    }

    internal static LinkState Link(NodeStatus a, NodeStatus b)
    {
        if (a.Name == b.Name)
        {
            return LinkState.Self;
        }

        if (a.NodeId is null || b.NodeId is null || a.Faults is null || b.Faults is null)
        {
            return IsCut(a.Faults, b.NodeId) || IsCut(b.Faults, a.NodeId) ? LinkState.Cut : LinkState.Unknown;
        }

        return IsCut(a.Faults, b.NodeId) || IsCut(b.Faults, a.NodeId) ? LinkState.Cut : LinkState.Open;
    }

    private static bool IsCut(FaultState? faults, string? peer) =>
        faults is { Isolated: true } || (peer is not null && faults?.BlockedPeers.Contains(peer, StringComparer.OrdinalIgnoreCase) == true);

    private static string Describe(FaultState? faults)
    {
        if (faults is null)
        {
            return string.Empty;
        }

        var parts = new List<string>();
        if (faults.Isolated)
        {
            parts.Add("isolated");
        }

        if (faults.BlockedPeers.Count > 0)
        {
            parts.Add($"{faults.BlockedPeers.Count} link(s) cut");
        }

        if (faults.LatencyMs > 0)
        {
            parts.Add($"+{faults.LatencyMs} ms");
        }

        if (faults.DropRate > 0)
        {
            parts.Add($"drops {faults.DropRate:P0}");
        }

        return string.Join(", ", parts);
    }

    private LinkState LinkOf(NodeStatus a, NodeStatus b) => Link(a, b);

    private NodeState StateOf(NodeStatus node) => _states.GetValueOrDefault(node.Name, NodeState.Down);

    private DegradationEdit EditOf(string node)
    {
        if (!_edits.TryGetValue(node, out var edit))
        {
            edit = new DegradationEdit();
            _edits[node] = edit;
        }

        return edit;
    }

    /// <summary>Cuts or restores A-B on both ends: B in A's blocked peers and A in B's.</summary>
    private Task ToggleLinkAsync(NodeStatus a, NodeStatus b) => ChangeAsync($"Link {a.Name} ↔ {b.Name}", async () =>
    {
        if (a.NodeId is null || b.NodeId is null)
        {
            throw new ArgumentException("both nodes must be up to change their link");
        }

        var cut = Link(a, b) != LinkState.Cut;
        await Task.WhenAll(
            Cluster.SetFaultsAsync(a.Name, WithPeer(a.Faults, b.NodeId, cut), Stopping),
            Cluster.SetFaultsAsync(b.Name, WithPeer(b.Faults, a.NodeId, cut), Stopping));
        Toasts.ShowSuccess(cut ? $"Cut {a.Name} ↔ {b.Name}" : $"Restored {a.Name} ↔ {b.Name}");
    });

    private Task IsolateAsync(NodeStatus node) => ChangeAsync($"Partition {node.Name}", async () =>
    {
        var faults = node.Faults?.Clone() ?? new FaultState();
        faults.Isolated = true;
        await Cluster.SetFaultsAsync(node.Name, faults, Stopping);
        Toasts.ShowSuccess($"{node.Name} is cut from every other node");
    });

    private Task HealAsync(NodeStatus node) => ChangeAsync($"Heal {node.Name}", async () =>
    {
        await HealOneAsync(node);
        Toasts.ShowSuccess($"{node.Name} healed");
    });

    private Task ApplyDegradationAsync(NodeStatus node) => ChangeAsync($"Faults on {node.Name}", async () =>
    {
        var edit = EditOf(node.Name);
        var faults = node.Faults?.Clone() ?? new FaultState();
        faults.LatencyMs = (uint)Math.Clamp(edit.LatencyMs ?? 0, 0, 60_000);
        faults.DropRate = Math.Clamp(edit.DropRate ?? 0, 0, 1);
        await Cluster.SetFaultsAsync(node.Name, faults, Stopping);
        edit.Touched = false;
        Toasts.ShowSuccess($"{node.Name}: +{faults.LatencyMs} ms, drops {faults.DropRate:P0}");
    });

    /// <summary>An empty FaultState on every node that answers; a node that does not answer is reported, the others still heal.</summary>
    private Task HealEverythingAsync() => ChangeAsync("Heal everything", async () =>
    {
        var results = await Task.WhenAll(Nodes.Where(n => n.Healthy).Select(async node =>
        {
            try
            {
                await HealOneAsync(node);
                return null;
            }
            catch (NodeCallException ex)
            {
                return ex.Message;
            }
        }));
        var failures = results.OfType<string>().ToList();
        if (failures.Count > 0)
        {
            Toasts.ShowWarning($"Healed the others; could not heal {string.Join("; ", failures)}");
        }
        else
        {
            Toasts.ShowSuccess("Every node healed");
        }

        foreach (var edit in _edits.Values)
        {
            edit.Touched = false;
        }
    });

    private async Task HealOneAsync(NodeStatus node)
    {
        await Cluster.SetFaultsAsync(node.Name, new FaultState(), Stopping);
        EditOf(node.Name).Touched = false;
    }

    private async Task ChangeAsync(string what, Func<Task> change)
    {
        _busy = true;
        try
        {
            await TryAsync(what, change);
            await RefreshAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private static FaultState WithPeer(FaultState? current, string peer, bool cut)
    {
        var faults = current?.Clone() ?? new FaultState();
        var others = faults.BlockedPeers.Where(p => !string.Equals(p, peer, StringComparison.OrdinalIgnoreCase)).ToList();
        faults.BlockedPeers.Clear();
        faults.BlockedPeers.Add(others);
        if (cut)
        {
            faults.BlockedPeers.Add(peer);
        }
        else
        {
            // Restoring one link of an isolated node means it is no longer cut from everyone.
            faults.Isolated = false;
        }

        return faults;
    }

    /// <summary>The latency and drop rate a person is typing for one node.</summary>
    private sealed class DegradationEdit
    {
        private int? _latencyMs;
        private double? _dropRate;

        public bool Touched { get; set; }

        public int? LatencyMs
        {
            get => _latencyMs;
            set
            {
                _latencyMs = value;
                Touched = true;
            }
        }

        public double? DropRate
        {
            get => _dropRate;
            set
            {
                _dropRate = value;
                Touched = true;
            }
        }

        public void Reset(FaultState? faults)
        {
            _latencyMs = (int?)faults?.LatencyMs;
            _dropRate = faults?.DropRate;
        }
    }
}
