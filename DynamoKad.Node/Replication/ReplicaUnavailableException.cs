using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>A replica call that failed: the node is down, partitioned away, dropped the call or missed the deadline.</summary>
public sealed class ReplicaUnavailableException(NodeId node, string reason, Exception? inner = null)
    : Exception($"replica {node.ToShortString()} unavailable: {reason}", inner)
{
    public NodeId Node { get; } = node;
}
