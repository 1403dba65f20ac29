namespace DynamoKad.Tests.Support;

/// <summary>How a <see cref="StandaloneCluster"/> starts its nodes.</summary>
public sealed class StandaloneClusterOptions
{
    public int NodeCount { get; init; } = 3;

    /// <summary>Configuration passed to every node as <c>--Key value</c>, e.g. <c>DynamoKad:Replication:W</c>.</summary>
    public Dictionary<string, string> Settings { get; init; } = [];

    /// <summary>How long a node may take to become healthy (start-up on a loaded two-core machine is slow).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);
}
