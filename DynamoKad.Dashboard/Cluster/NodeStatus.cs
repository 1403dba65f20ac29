namespace DynamoKad.Dashboard.Cluster;

/// <summary>What the dashboard knows about one node at one moment.</summary>
public sealed record NodeStatus(
    string Name,
    string Address,
    bool Healthy,
    string? NodeId,
    string? Version,
    TimeSpan? Uptime,
    string? Error);
