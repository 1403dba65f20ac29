using DynamoKad.Protos.V1;

namespace DynamoKad.Tests.Reliability;

/// <summary>Shape of a <see cref="KeyValueWorkload"/>.</summary>
internal sealed class WorkloadOptions
{
    public int Clients { get; init; } = 5;

    /// <summary>Few keys, so clients collide and siblings appear.</summary>
    public int Keys { get; init; } = 8;

    public required string KeyPrefix { get; init; }

    /// <summary>The nodes clients send requests to (any node coordinates).</summary>
    public required IReadOnlyList<int> Coordinators { get; init; }

    /// <summary>Per-request quorum overrides; null uses the nodes' defaults.</summary>
    public Quorum? Quorum { get; init; }

    /// <summary>
    /// Whether clients also write with the context of their own previous put (the write that found finding R1 in
    /// docs/RELIABILITY.md). On unless DYNAMOKAD_RELIABILITY_OWN_CONTEXTS=0.
    /// </summary>
    public bool OwnPutContexts { get; init; } = Environment.GetEnvironmentVariable("DYNAMOKAD_RELIABILITY_OWN_CONTEXTS") != "0";

    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(3);
}
