using System.Diagnostics.Metrics;
using DynamoKad.Kademlia;
using DynamoKad.Storage;

namespace DynamoKad.Telemetry;

/// <summary>
/// Gauges over one node's state, observed at collection time: routing table size, stored keys, pending hints.
/// Built from the node's <see cref="IMeterFactory"/>, so the gauges go away with the node's container
/// (several in-process nodes in a test do not read each other's state after one stops).
/// </summary>
public sealed class NodeGauges
{
    public NodeGauges(IMeterFactory meters, KademliaNode kademlia, IStorageEngine storage)
    {
        var meter = meters.Create(DynamoKadTelemetry.Name);
        meter.CreateObservableGauge("dynamokad.routing_table.size", () => kademlia.RoutingTable.Count,
            unit: "{contact}", description: "Contacts in the Kademlia k-buckets.");
        meter.CreateObservableGauge("dynamokad.storage.keys", () => storage.GetStats().Keys,
            unit: "{key}", description: "Keys stored on this node (tombstoned keys included until collected).");
        meter.CreateObservableGauge("dynamokad.hints.pending", () => storage.GetStats().HintsPending,
            unit: "{hint}", description: "Hints this node holds for other nodes, not yet delivered.");
        meter.CreateObservableGauge("dynamokad.wal.bytes", () => storage.GetStats().WalBytes,
            unit: "By", description: "Bytes in the write-ahead log not yet trimmed by a checkpoint.");
    }
}
