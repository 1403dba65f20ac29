namespace DynamoKad.Dashboard.Cluster;

/// <summary>Per-request quorum overrides; null uses the coordinator's configured default.</summary>
public sealed record QuorumSettings(uint? N = null, uint? R = null, uint? W = null)
{
    public static QuorumSettings Default { get; } = new();
}
