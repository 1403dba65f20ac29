namespace DynamoKad.Replication;

/// <summary>Per-request N/R/W; a null uses the configured default.</summary>
public sealed record QuorumOverrides(int? N = null, int? R = null, int? W = null)
{
    public static QuorumOverrides None { get; } = new();
}
