namespace DynamoKad.Dashboard.Cluster;

/// <summary>The nodes the dashboard reads (configuration section <c>DynamoKad</c>; the AppHost fills it).</summary>
public sealed class DashboardOptions
{
    public const string SectionName = "DynamoKad";

    public List<NodeEndpoint> Nodes { get; set; } = [];

    /// <summary>Deadline of every Admin call the dashboard makes to a node.</summary>
    public int CallTimeoutMs { get; set; } = 2000;

    /// <summary>
    /// Deadline of a Put/Get/Delete: longer than an Admin call because the coordinator itself waits for W or R
    /// replicas, and should be the one to answer with a clear quorum failure.
    /// </summary>
    public int KeyValueTimeoutMs { get; set; } = 8000;

    public ClusterSecretOptions Cluster { get; set; } = new();

    /// <summary>The Aspire dashboard's URL, when known, to link requests to their traces.</summary>
    public string? AspireDashboardUrl { get; set; }
}

/// <summary>A node's name and gRPC address, as configured.</summary>
public sealed class NodeEndpoint
{
    public string Name { get; set; } = string.Empty;

    public string Address { get; set; } = string.Empty;
}

/// <summary><c>DynamoKad:Cluster</c>: what every node of the cluster shares.</summary>
public sealed class ClusterSecretOptions
{
    /// <summary>Sent as metadata <c>x-dynamokad-secret</c> on every call when set.</summary>
    public string? Secret { get; set; }
}
