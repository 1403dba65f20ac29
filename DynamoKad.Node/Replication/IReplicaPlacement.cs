using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>
/// Where keys live: the replication layer's view of the overlay. The Kademlia-backed implementation answers
/// from the routing table (with a lookup when it cannot be sure); <see cref="StaticReplicaPlacement"/>
/// answers from a fixed member list for tests and in-memory clusters.
/// </summary>
public interface IReplicaPlacement
{
    NodeId Self { get; }

    /// <summary>
    /// Up to <paramref name="count"/> live nodes ordered by XOR distance to <paramref name="keyId"/>, this node
    /// included when it is among them. The first N are the preference list; the rest are sloppy-quorum fallbacks.
    /// </summary>
    ValueTask<IReadOnlyList<ReplicaPeer>> GetPreferenceCandidatesAsync(NodeId keyId, int count, CancellationToken cancellationToken);

    /// <summary>
    /// The members placement currently decides from, frozen: the first N of <see cref="GetPreferenceCandidatesAsync"/>
    /// for a key are its preference list under this view, without a lookup. The same object is returned while the
    /// members stay the same; a new one, with a new <see cref="PlacementView.Version"/>, once they change.
    /// </summary>
    PlacementView GetView();

    /// <summary>The address of <paramref name="id"/> if it is known (for hint delivery), else null.</summary>
    ValueTask<ReplicaPeer?> FindPeerAsync(NodeId id, CancellationToken cancellationToken);

    /// <summary>A replica call to <paramref name="id"/> failed: skip it for a while.</summary>
    void ReportUnreachable(NodeId id);

    /// <summary>A replica call to <paramref name="id"/> succeeded.</summary>
    void ReportReachable(NodeId id);
}
