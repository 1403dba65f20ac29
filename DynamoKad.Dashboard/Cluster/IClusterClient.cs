namespace DynamoKad.Dashboard.Cluster;

/// <summary>The dashboard's only way to the cluster: pages depend on this, tests feed a fake.</summary>
public interface IClusterClient
{
    /// <summary>Every configured node with what it reports, or why it could not be reached.</summary>
    Task<IReadOnlyList<NodeStatus>> GetNodesAsync(CancellationToken cancellationToken = default);
}
