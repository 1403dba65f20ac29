namespace DynamoKad.Tests.Reliability;

/// <summary>The faults the nemesis injects, all through the product's own controls.</summary>
public enum FaultKind
{
    /// <summary>SIGKILL a node, restart it over the same data directory after the hold.</summary>
    Kill,

    /// <summary>Admin.SetFaults isolated=true on one node: cut from every other node, both directions.</summary>
    Isolate,

    /// <summary>Majority/minority split: each side blocks the other's node ids.</summary>
    Split,

    /// <summary>Admin.SetFaults latency_ms on every node.</summary>
    Latency,

    /// <summary>Admin.SetFaults drop_rate on every node.</summary>
    Loss,
}
