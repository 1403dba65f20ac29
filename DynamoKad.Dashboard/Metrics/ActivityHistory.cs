using DynamoKad.Dashboard.Cluster;

namespace DynamoKad.Dashboard.Metrics;

/// <summary>
/// Turns successive GetStats snapshots of every node into rates and latencies over a sliding window. Counters
/// are cumulative per node, so a rate is the difference between two snapshots over the time between them; a node
/// that restarted (its counter went down) counts from zero rather than as a negative rate.
/// </summary>
public sealed class ActivityHistory(TimeSpan window)
{
    public static readonly string[] Operations = ["put", "get", "delete"];

    private readonly List<ActivitySample> _samples = [];
    private Dictionary<string, Counters>? _previous;
    private DateTimeOffset _previousAt;

    public IReadOnlyList<ActivitySample> Samples => _samples;

    public TimeSpan Window { get; } = window;

    /// <summary>Adds a snapshot taken at <paramref name="at"/>; the first one only sets the baseline.</summary>
    public void Add(DateTimeOffset at, IReadOnlyList<NodeStatus> nodes)
    {
        var current = nodes.Where(n => n.Stats is not null).ToDictionary(n => n.Name, n => Counters.Of(n), StringComparer.OrdinalIgnoreCase);
        if (_previous is not null && at > _previousAt)
        {
            var seconds = (at - _previousAt).TotalSeconds;
            var rates = new Dictionary<string, double>(StringComparer.Ordinal);
            var failures = 0.0;
            foreach (var op in Operations)
            {
                rates[op] = current.Sum(c => Delta(c.Value.Totals.GetValueOrDefault(op), _previous.GetValueOrDefault(c.Key)?.Totals.GetValueOrDefault(op))) / seconds;
                failures += current.Sum(c => Delta(c.Value.Failed.GetValueOrDefault(op), _previous.GetValueOrDefault(c.Key)?.Failed.GetValueOrDefault(op)));
            }

            var quorumFailures = current.Sum(c => Delta(c.Value.QuorumFailures, _previous.GetValueOrDefault(c.Key)?.QuorumFailures)) / seconds;
            var latencies = Operations.ToDictionary(
                op => op,
                op => (P50: Max(nodes, op, o => o.P50Ms), P99: Max(nodes, op, o => o.P99Ms)),
                StringComparer.Ordinal);
            _samples.Add(new ActivitySample(at, rates, failures / seconds, quorumFailures, latencies));
            _samples.RemoveAll(s => s.At < at - Window);
        }

        _previous = current;
        _previousAt = at;
    }

    private static double Delta(ulong now, ulong? before) => now >= (before ?? 0) ? now - (before ?? 0) : now;

    // The slowest node's percentile: a cluster is as slow as the replica a quorum waits for.
    private static double Max(IReadOnlyList<NodeStatus> nodes, string op, Func<Protos.V1.OperationStats, double> pick) =>
        nodes.SelectMany(n => n.Stats?.Operations ?? Enumerable.Empty<Protos.V1.OperationStats>())
            .Where(o => o.Operation == op)
            .Select(pick)
            .DefaultIfEmpty(0)
            .Max();

    private sealed record Counters(Dictionary<string, ulong> Totals, Dictionary<string, ulong> Failed, ulong QuorumFailures)
    {
        public static Counters Of(NodeStatus node) => new(
            node.Stats!.Operations.GroupBy(o => o.Operation).ToDictionary(g => g.Key, g => (ulong)g.Sum(o => (decimal)o.Total)),
            node.Stats.Operations.GroupBy(o => o.Operation).ToDictionary(g => g.Key, g => (ulong)g.Sum(o => (decimal)o.Failed)),
            node.Stats.QuorumFailures);
    }
}

/// <summary>The cluster's activity between two snapshots: operations per second, failures per second, latency in ms.</summary>
public sealed record ActivitySample(
    DateTimeOffset At,
    IReadOnlyDictionary<string, double> Rates,
    double FailedPerSecond,
    double QuorumFailuresPerSecond,
    IReadOnlyDictionary<string, (double P50, double P99)> Latencies);
