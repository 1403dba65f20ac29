using System.Globalization;

namespace DynamoKad.Tests.Reliability;

/// <summary>
/// One step of a nemesis schedule: at <see cref="StartMs"/> inject <see cref="Kind"/> on <see cref="Nodes"/>,
/// heal after <see cref="HoldMs"/>. A schedule is a pure function of the seed, so it replays exactly.
/// </summary>
public sealed record FaultStep(double StartMs, FaultKind Kind, IReadOnlyList<int> Nodes, double HoldMs, int LatencyMs = 0, double DropRate = 0)
{
    public string Describe() => Kind switch
    {
        FaultKind.Kill => $"kill node{Nodes[0]}",
        FaultKind.Isolate => $"isolate node{Nodes[0]}",
        FaultKind.Split => $"split: minority [{string.Join(", ", Nodes.Select(n => $"node{n}"))}] cut from the rest",
        FaultKind.Latency => string.Create(CultureInfo.InvariantCulture, $"latency {LatencyMs} ms on every node-to-node call"),
        FaultKind.Loss => string.Create(CultureInfo.InvariantCulture, $"drop {DropRate:P0} of node-to-node calls"),
        _ => Kind.ToString(),
    };

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"at {StartMs / 1000,6:0.0} s for {HoldMs / 1000:0.0} s: {Describe()}");
}
