using System.Text.Json.Serialization;
using DynamoKad.Protos.V1;

namespace DynamoKad.Dashboard.Cluster;

/// <summary>
/// What the dashboard knows about one node at one moment. Only <see cref="Healthy"/> and the info fields come
/// from the one call every node serves (GetNodeInfo); faults, statistics and routing are null when the node does
/// not serve them (yet) or did not answer, so the page shows what it has.
/// </summary>
public sealed record NodeStatus(
    string Name,
    string Address,
    bool Healthy,
    string? NodeId,
    string? Version,
    TimeSpan? Uptime,
    string? Error)
{
    /// <summary>The node's configured replication factor, when it answered.</summary>
    public uint? N { get; init; }

    [JsonConverter(typeof(ProtobufBytesJsonConverter<FaultState>))]
    public FaultState? Faults { get; init; }

    [JsonConverter(typeof(ProtobufBytesJsonConverter<NodeStats>))]
    public NodeStats? Stats { get; init; }

    /// <summary>Contacts in the node's routing table.</summary>
    public int? Contacts { get; init; }

    /// <summary>Non-empty k-buckets in the node's routing table.</summary>
    public int? Buckets { get; init; }
}
