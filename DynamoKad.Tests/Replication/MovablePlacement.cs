using DynamoKad.Kademlia;
using DynamoKad.Replication;

namespace DynamoKad.Tests.Replication;

/// <summary>A placement whose members a test moves: every move is a new view.</summary>
internal sealed class MovablePlacement(NodeId self, IEnumerable<ReplicaPeer> members) : IReplicaPlacement
{
    private PlacementView _view = new(1, self, members);

    public NodeId Self => self;

    public void Move(IEnumerable<ReplicaPeer> members) => _view = new PlacementView(_view.Version + 1, self, members);

    public PlacementView GetView() => _view;

    public ValueTask<IReadOnlyList<ReplicaPeer>> GetPreferenceCandidatesAsync(NodeId keyId, int count, CancellationToken cancellationToken)
    {
        IReadOnlyList<ReplicaPeer> ordered = [.. _view.Members.OrderBy(m => m.Id ^ keyId).Take(count)];
        return ValueTask.FromResult(ordered);
    }

    public ValueTask<ReplicaPeer?> FindPeerAsync(NodeId id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_view.Members.FirstOrDefault(m => m.Id == id));

    public void ReportUnreachable(NodeId id)
    {
    }

    public void ReportReachable(NodeId id)
    {
    }
}
