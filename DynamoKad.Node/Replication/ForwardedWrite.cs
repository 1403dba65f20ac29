namespace DynamoKad.Replication;

/// <summary>
/// A write a node received but is not a preferred replica for, sent to one that is to coordinate it (Dynamo §4.5).
/// <paramref name="Context"/> is the client's token (or a blind delete's read context); <paramref name="Quorum"/> is
/// what the receiving node resolved, so the answer does not depend on the coordinator's defaults.
/// </summary>
public sealed record ForwardedWrite(byte[] Key, byte[] Value, bool Tombstone, string? Context, QuorumSettings Quorum);
