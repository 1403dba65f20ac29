using DynamoKad.Protos.V1;

namespace DynamoKad.Dashboard.Cluster;

/// <summary>
/// The dashboard's only way to the cluster: pages depend on this, tests feed a fake. A node is named as the
/// configuration names it (node0, ...). Calls to one node throw <see cref="NodeCallException"/> when it refuses
/// or does not answer before the deadline.
/// </summary>
public interface IClusterClient
{
    /// <summary>The configured nodes, in configuration order.</summary>
    IReadOnlyList<NodeEndpoint> Nodes { get; }

    /// <summary>The Aspire dashboard's URL when configured, to link to traces.</summary>
    Uri? AspireDashboardUrl { get; }

    /// <summary>Every configured node with what it reports, or why it could not be reached. Never throws for one node.</summary>
    Task<IReadOnlyList<NodeStatus>> GetNodesAsync(CancellationToken cancellationToken = default);

    Task<RoutingTableView> GetRoutingTableAsync(string node, CancellationToken cancellationToken = default);

    Task<NodeStats> GetStatsAsync(string node, CancellationToken cancellationToken = default);

    Task<ClusterView> GetClusterViewAsync(string node, CancellationToken cancellationToken = default);

    /// <summary>The replica inspector, asked of <paramref name="node"/>: the key's preference list and each replica's versions.</summary>
    Task<KeyInspection> InspectKeyAsync(string node, string key, uint? n, CancellationToken cancellationToken = default);

    Task<FaultState> GetFaultsAsync(string node, CancellationToken cancellationToken = default);

    /// <summary>Replaces the node's faults; an empty <see cref="FaultState"/> heals it.</summary>
    Task<FaultState> SetFaultsAsync(string node, FaultState faults, CancellationToken cancellationToken = default);

    /// <summary>Writes through <paramref name="coordinator"/>; <paramref name="context"/> is the one a Get returned, or empty for a blind write.</summary>
    Task<PutResponse> PutAsync(string coordinator, string key, string value, string? context, QuorumSettings quorum, CancellationToken cancellationToken = default);

    Task<GetResponse> GetAsync(string coordinator, string key, QuorumSettings quorum, CancellationToken cancellationToken = default);

    Task<DeleteResponse> DeleteAsync(string coordinator, string key, string? context, QuorumSettings quorum, CancellationToken cancellationToken = default);
}
