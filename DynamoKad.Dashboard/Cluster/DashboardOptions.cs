namespace DynamoKad.Dashboard.Cluster;

/// <summary>The nodes the dashboard reads (configuration section <c>DynamoKad</c>; the AppHost fills it).</summary>
public sealed class DashboardOptions
{
    public const string SectionName = "DynamoKad";

    public List<NodeEndpoint> Nodes { get; set; } = [];

    /// <summary>Deadline of every call the dashboard makes to a node.</summary>
    public int CallTimeoutMs { get; set; } = 2000;
}

/// <summary>A node's name and gRPC address, as configured.</summary>
public sealed class NodeEndpoint
{
    public string Name { get; set; } = string.Empty;

    public string Address { get; set; } = string.Empty;
}
