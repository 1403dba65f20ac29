using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>
/// The replication seam at the network edge: calls from this node to one replica. Implemented over gRPC
/// (<c>Transport/GrpcReplicaNetwork</c>) and in memory (<see cref="InMemoryReplicaNetwork"/>). Every call
/// fails with <see cref="ReplicaUnavailableException"/> when the replica cannot answer; every call is
/// bounded by <paramref name="timeout"/> (a gRPC deadline over the wire).
/// </summary>
public interface IReplicaNetwork
{
    /// <summary>Merges <paramref name="versions"/> (a key's sibling set) durably into <paramref name="target"/>; with
    /// <paramref name="hintFor"/>, the target is a substitute that also keeps hints for that owner (Dynamo §4.6).</summary>
    Task WriteAsync(ReplicaPeer target, byte[] key, IReadOnlyList<VersionedValue> versions, NodeId? hintFor, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Has <paramref name="target"/>, a preferred replica of the key, coordinate <paramref name="write"/>.</summary>
    /// <exception cref="QuorumNotReachedException">The target coordinated it, but fewer than W replicas acknowledged.</exception>
    Task<CoordinatedWrite> CoordinateAsync(ReplicaPeer target, ForwardedWrite write, TimeSpan timeout, CancellationToken cancellationToken);

    Task<IReadOnlyList<VersionedValue>> ReadAsync(ReplicaPeer target, byte[] key, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Hashes of the nodes at <paramref name="level"/> of the target's Merkle tree over the keys it shares with <paramref name="requester"/>.</summary>
    Task<IReadOnlyList<byte[]>> GetMerkleHashesAsync(ReplicaPeer target, NodeId requester, int level, IReadOnlyList<int> indices, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Digests of the keys in the given Merkle leaves that the target shares with <paramref name="requester"/>.</summary>
    Task<IReadOnlyList<KeyDigest>> GetLeafDigestsAsync(ReplicaPeer target, NodeId requester, IReadOnlyList<int> leaves, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Merges <paramref name="keys"/> into the target and returns what the target then holds for those keys.</summary>
    Task<IReadOnlyList<KeyVersions>> SyncKeysAsync(ReplicaPeer target, IReadOnlyList<KeyVersions> keys, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Asks the target to drop <paramref name="key"/> if it holds only tombstones that <paramref name="clock"/> covers.</summary>
    Task<bool> ReapAsync(ReplicaPeer target, byte[] key, VectorClock clock, TimeSpan timeout, CancellationToken cancellationToken);
}
