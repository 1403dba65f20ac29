namespace DynamoKad.Hosting;

/// <summary>How a node finds and trusts its cluster (configuration section <c>DynamoKad:Cluster</c>).</summary>
public sealed class ClusterOptions
{
    public const string SectionName = "DynamoKad:Cluster";

    /// <summary>gRPC addresses (http://host:port, or host:port) of nodes to bootstrap from.</summary>
    public List<string> Seeds { get; set; } = [];

    /// <summary>The shared secret required on node-to-node and Admin calls.</summary>
    public string? Secret { get; set; }
}
