using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>
/// One entry of a vector clock: <paramref name="Node"/> has coordinated writes up to <paramref name="Counter"/>;
/// <paramref name="TimestampMs"/> (Unix ms of the last of them) only decides which entries pruning drops first.
/// </summary>
public readonly record struct ClockEntry(NodeId Node, ulong Counter, long TimestampMs);
