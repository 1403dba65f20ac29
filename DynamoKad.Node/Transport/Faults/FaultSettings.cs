using System.Collections.Frozen;
using DynamoKad.Kademlia;

namespace DynamoKad.Transport.Faults;

/// <summary>
/// The faults one node injects into its own node-to-node traffic (Admin.SetFaults): cut from everyone, cut from
/// some peers, extra latency on every call, a fraction of calls dropped. <see cref="None"/> is a healthy node.
/// </summary>
public sealed record FaultSettings(bool Isolated, IReadOnlySet<NodeId> BlockedPeers, int LatencyMs, double DropRate)
{
    /// <summary>More delay than this is a typo: every replica call would miss its deadline many times over.</summary>
    public const int MaxLatencyMs = 60_000;

    public static readonly FaultSettings None = new(false, FrozenSet<NodeId>.Empty, 0, 0);

    public bool IsNone => !Isolated && BlockedPeers.Count == 0 && LatencyMs == 0 && DropRate == 0;

    /// <summary>Every problem with the settings, each naming its field (as in admin.proto).</summary>
    public static List<string> Validate(int latencyMs, double dropRate)
    {
        var failures = new List<string>();
        if (latencyMs is < 0 or > MaxLatencyMs)
        {
            failures.Add($"latency_ms must be 0-{MaxLatencyMs}; got {latencyMs}.");
        }

        if (double.IsNaN(dropRate) || dropRate is < 0 or > 1)
        {
            failures.Add($"drop_rate must be between 0 and 1; got {dropRate}.");
        }

        return failures;
    }

    public override string ToString() =>
        IsNone
            ? "none"
            : $"isolated={Isolated}, blocked=[{string.Join(", ", BlockedPeers.Select(p => p.ToShortString()))}], latency={LatencyMs} ms, drop={DropRate:0.###}";
}
