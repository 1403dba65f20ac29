using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>
/// A successful read: the live concurrent siblings (tombstones left out; not found when none remain), one
/// causal context covering every version read, tombstones included, and who answered.
/// </summary>
public sealed record GetResult(
    bool Found,
    IReadOnlyList<VersionedValue> Siblings,
    string Context,
    IReadOnlyList<NodeId> AnsweredBy,
    bool ReadRepairScheduled);
