using DynamoKad.Protos.V1;

namespace DynamoKad.Dashboard.Cluster;

/// <summary>Derives each node's <see cref="NodeState"/> from one refresh of the whole cluster.</summary>
public static class NodeStates
{
    /// <summary>The state of every node, by name.</summary>
    public static IReadOnlyDictionary<string, NodeState> Classify(IReadOnlyList<NodeStatus> nodes)
    {
        var hintsFor = HintsPendingFor(nodes);
        return nodes.ToDictionary(n => n.Name, n => Classify(n, hintsFor), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Hints that live nodes hold for each target id: writes the target has not seen yet.</summary>
    public static IReadOnlyDictionary<string, ulong> HintsPendingFor(IReadOnlyList<NodeStatus> nodes)
    {
        var pending = new Dictionary<string, ulong>(StringComparer.OrdinalIgnoreCase);
        foreach (var target in nodes.SelectMany(n => n.Stats?.Hints?.ByTarget ?? Enumerable.Empty<HintTargetStats>()))
        {
            pending[target.TargetNodeId] = pending.GetValueOrDefault(target.TargetNodeId) + target.Pending;
        }

        return pending;
    }

    public static bool IsPartitioned(FaultState? faults) => faults is { Isolated: true } || faults?.BlockedPeers.Count > 0;

    public static bool IsDegraded(FaultState? faults) => faults is { LatencyMs: > 0 } || faults?.DropRate > 0;

    public static string Css(NodeState state) => state.ToString().ToLowerInvariant();

    private static NodeState Classify(NodeStatus node, IReadOnlyDictionary<string, ulong> hintsFor)
    {
        if (!node.Healthy)
        {
            return NodeState.Down;
        }

        if (IsPartitioned(node.Faults))
        {
            return NodeState.Partitioned;
        }

        var behind = node.NodeId is { } id && hintsFor.GetValueOrDefault(id) > 0;
        return behind || IsDegraded(node.Faults) ? NodeState.Lagging : NodeState.Up;
    }
}
