using System.Collections.Concurrent;
using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>
/// Placement over a fixed member list, sorted by XOR distance to the key, for tests and in-memory clusters.
/// The order never depends on reachability, so every node computes the same preference list; a preferred
/// replica that is down is replaced by the coordinator, which moves on to the next candidate.
/// </summary>
public sealed class StaticReplicaPlacement : IReplicaPlacement
{
    private readonly IReadOnlyList<ReplicaPeer> _members;
    private readonly PlacementView _view;
    private readonly ConcurrentDictionary<NodeId, byte> _unreachable = new();

    public StaticReplicaPlacement(NodeId self, IEnumerable<ReplicaPeer> members)
    {
        Self = self;
        _members = [.. members.DistinctBy(m => m.Id)];
        _view = new PlacementView(1, self, _members);
    }

    public NodeId Self { get; }

    public IReadOnlyList<ReplicaPeer> Members => _members;

    /// <summary>Whether the last report about <paramref name="id"/> was a failure.</summary>
    public bool IsSuspected(NodeId id) => _unreachable.ContainsKey(id);

    public ValueTask<IReadOnlyList<ReplicaPeer>> GetPreferenceCandidatesAsync(NodeId keyId, int count, CancellationToken cancellationToken)
    {
        IReadOnlyList<ReplicaPeer> ordered = [.. _members.OrderBy(m => m.Id ^ keyId).Take(count)];
        return ValueTask.FromResult(ordered);
    }

    public PlacementView GetView() => _view;

    public ValueTask<ReplicaPeer?> FindPeerAsync(NodeId id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_members.FirstOrDefault(m => m.Id == id));

    public void ReportUnreachable(NodeId id) => _unreachable[id] = 0;

    public void ReportReachable(NodeId id) => _unreachable.TryRemove(id, out _);
}
