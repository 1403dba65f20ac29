using System.Globalization;
using DynamoKad.Dashboard.Cluster;
using DynamoKad.Dashboard.Geometry;
using Microsoft.AspNetCore.Components;

namespace DynamoKad.Dashboard.Components.Controls;

/// <summary>
/// The XOR ring: every node at angle id / 2^160, coloured by state; optionally a key at SHA-1(key) with its
/// preference list and fallbacks highlighted. Nodes without a known id (never answered) sit in the centre row.
/// </summary>
public partial class Ring : ComponentBase
{
    public const double Size = 420;
    public const double Center = Size / 2;
    public const double Radius = 150;

    // Above this many nodes, names would overlap: the tooltip names them instead.
    private const int MaxLabelledNodes = 16;

    [Parameter, EditorRequired]
    public IReadOnlyList<NodeStatus> Nodes { get; set; } = [];

    /// <summary>The key to place, with its id; null for the plain ring.</summary>
    [Parameter]
    public string? Key { get; set; }

    [Parameter]
    public string? KeyId { get; set; }

    /// <summary>Ids of the key's preference list (the N closest live nodes).</summary>
    [Parameter]
    public IReadOnlyCollection<string> Preferred { get; set; } = [];

    /// <summary>Ids of fallback nodes holding hinted copies of the key.</summary>
    [Parameter]
    public IReadOnlyCollection<string> Fallbacks { get; set; } = [];

    [Parameter]
    public string? Selected { get; set; }

    [Parameter]
    public EventCallback<string> OnNodeClick { get; set; }

    internal IReadOnlyList<RingMarker> Markers { get; private set; } = [];

    internal RingPoint? KeyPoint { get; private set; }

    internal double MarkerRadius => RingGeometry.MarkerRadius(Nodes.Count, Radius);

    internal bool ShowLabels => Nodes.Count <= MaxLabelledNodes;

    protected override void OnParametersSet()
    {
        var states = NodeStates.Classify(Nodes);
        var hintsFor = NodeStates.HintsPendingFor(Nodes);
        var unplaced = 0;
        var markers = new List<RingMarker>(Nodes.Count);
        foreach (var node in Nodes)
        {
            double fraction;
            RingPoint point;
            if (node.NodeId is { Length: 40 } id)
            {
                fraction = RingGeometry.Fraction(id);
                point = RingGeometry.Point(fraction, Center, Center, Radius);
            }
            else
            {
                // A node that never answered has no known id: line it up inside the ring, greyed.
                fraction = 0.5;
                point = new RingPoint(Center - 60 + (unplaced++ * 24 % 120), Center + 40);
            }

            var label = RingGeometry.Point(fraction, Center, Center, Radius + MarkerRadius + 14);
            var anchor = label.X > Center + 5 ? "start" : label.X < Center - 5 ? "end" : "middle";
            markers.Add(new RingMarker(node, states[node.Name], RoleOf(node.NodeId), point, label, anchor,
                node.NodeId is { } nodeId ? hintsFor.GetValueOrDefault(nodeId) : 0));
        }

        Markers = markers;
        KeyPoint = KeyId is { Length: 40 } key ? RingGeometry.Point(key, Center, Center, Radius) : null;
    }

    internal static string RoleCss(ReplicaRole role) => role switch
    {
        ReplicaRole.Preferred => "role-preferred",
        ReplicaRole.Fallback => "role-fallback",
        _ => "role-none",
    };

    internal static string Fmt(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    internal static string Tooltip(RingMarker marker)
    {
        var node = marker.Node;
        var lines = new List<string>
        {
            $"{node.Name} · {NodeStates.Css(marker.State)}",
            $"id {node.NodeId ?? "unknown"}",
            $"address {node.Address}",
        };
        if (node.Contacts is { } contacts)
        {
            lines.Add($"routing: {contacts} contacts in {node.Buckets} buckets");
        }

        if (node.Stats is { } stats)
        {
            lines.Add($"keys stored {stats.Storage?.Keys ?? 0}");
            lines.Add($"hints held for others {stats.Hints?.Pending ?? 0}");
        }

        lines.Add($"hints pending for it {marker.HintsPendingFor}");
        if (node.Faults is { } f && (NodeStates.IsPartitioned(f) || NodeStates.IsDegraded(f)))
        {
            lines.Add($"faults: {(f.Isolated ? "isolated" : $"{f.BlockedPeers.Count} links cut")}, {f.LatencyMs} ms, drop {f.DropRate:P0}");
        }

        if (node.Error is { } error)
        {
            lines.Add(error);
        }

        return string.Join('\n', lines);
    }

    private ReplicaRole RoleOf(string? id) =>
        id is null ? ReplicaRole.None
        : Preferred.Contains(id, StringComparer.OrdinalIgnoreCase) ? ReplicaRole.Preferred
        : Fallbacks.Contains(id, StringComparer.OrdinalIgnoreCase) ? ReplicaRole.Fallback
        : ReplicaRole.None;
}

/// <summary>A key's relation to a node on the ring.</summary>
public enum ReplicaRole
{
    None,
    Preferred,
    Fallback,
}

internal sealed record RingMarker(NodeStatus Node, NodeState State, ReplicaRole Role, RingPoint Point, RingPoint Label, string Anchor, ulong HintsPendingFor);
