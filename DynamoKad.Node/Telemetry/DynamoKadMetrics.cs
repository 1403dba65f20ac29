using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DynamoKad.Telemetry;

/// <summary>
/// Request-path instruments on the "DynamoKad" meter. Counts that the Admin API also reports (read repairs,
/// hints, anti-entropy) live in <see cref="Replication.ReplicationMetrics"/>; gauges over a node's state
/// (routing table, storage) in <see cref="NodeGauges"/>.
/// </summary>
public static class DynamoKadMetrics
{
    public static readonly Counter<long> RpcRequests = DynamoKadTelemetry.Meter.CreateCounter<long>(
        "dynamokad.rpc.server.requests", unit: "{request}", description: "gRPC calls served, by service, method and status code.");

    public static readonly Histogram<double> RpcDuration = DynamoKadTelemetry.Meter.CreateHistogram<double>(
        "dynamokad.rpc.server.duration", unit: "ms", description: "Time to serve a gRPC call, by service, method and status code.");

    public static readonly Histogram<double> KvDuration = DynamoKadTelemetry.Meter.CreateHistogram<double>(
        "dynamokad.kv.duration", unit: "ms", description: "Client request latency on the coordinator, by operation (put, get, delete) and outcome.");

    public static readonly Counter<long> QuorumFailures = DynamoKadTelemetry.Meter.CreateCounter<long>(
        "dynamokad.quorum.failures", unit: "{request}", description: "Client requests that did not reach R answers or W acknowledgements, by operation.");

    public static readonly Histogram<int> SiblingsPerRead = DynamoKadTelemetry.Meter.CreateHistogram<int>(
        "dynamokad.kv.siblings", unit: "{version}", description: "Live siblings a successful read returned.");

    public static readonly UpDownCounter<int> ReplicaLinks = DynamoKadTelemetry.Meter.CreateUpDownCounter<int>(
        "dynamokad.replica.links", unit: "{connection}",
        description: "Replica links this node serves: open connections from peers carrying their replica writes and reads.");

    public static readonly Histogram<int> ReplicaFrameItems = DynamoKadTelemetry.Meter.CreateHistogram<int>(
        "dynamokad.replica.stream.frame_items", unit: "{item}",
        description: "Items per replica stream frame, by direction (sent: requests this node sent; answered: answers it sent).",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    public static readonly Histogram<int> WalFsyncBatchSize = DynamoKadTelemetry.Meter.CreateHistogram<int>(
        "dynamokad.wal.fsync.batch_size", unit: "{record}", description: "WAL records made durable by one write + fsync (group commit).");

    public static readonly Histogram<double> WalFsyncDuration = DynamoKadTelemetry.Meter.CreateHistogram<double>(
        "dynamokad.wal.fsync.duration", unit: "ms", description: "Time of one WAL batch write + fsync.");

    public static readonly Histogram<int> LookupRounds = DynamoKadTelemetry.Meter.CreateHistogram<int>(
        "dynamokad.kademlia.lookup.rounds", unit: "{round}", description: "Rounds of an iterative Kademlia lookup.");

    public static void RecordKvRequest(string operation, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "operation", operation }, { "outcome", outcome } };
        KvDuration.Record(elapsed.TotalMilliseconds, tags);
        if (outcome == Outcomes.QuorumNotReached)
        {
            QuorumFailures.Add(1, new KeyValuePair<string, object?>("operation", operation));
        }
    }

    /// <summary>The values of the <c>outcome</c> tag (spans and metrics).</summary>
    public static class Outcomes
    {
        public const string Ok = "ok";
        public const string QuorumNotReached = "quorum_not_reached";
        public const string Invalid = "invalid";
        public const string Cancelled = "cancelled";
        public const string Error = "error";
    }
}
