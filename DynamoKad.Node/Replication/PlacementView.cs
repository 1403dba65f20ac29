using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>
/// The members placement decides from, frozen (Dynamo §4.2: a key's preference list is the N members closest to
/// it, here by XOR distance as in Kademlia §2.1). It answers a key's preference list synchronously and without
/// allocating, and its <see cref="Version"/> changes whenever the members do, so state derived from one view (the
/// anti-entropy index's per-peer trees) knows when it has to be derived again.
/// </summary>
public sealed class PlacementView
{
    /// <summary>The longest preference list asked for: <see cref="QuorumSettings.MaxN"/>.</summary>
    public const int MaxPreference = QuorumSettings.MaxN;

    private readonly NodeId[] _ids;

    /// <param name="version">Differs from the version of every earlier view with other members.</param>
    /// <param name="self">This node; it is a member only if <paramref name="members"/> lists it.</param>
    /// <param name="members">The candidates, in any order (one per id).</param>
    public PlacementView(long version, NodeId self, IEnumerable<ReplicaPeer> members)
    {
        Version = version;
        Self = self;
        Members = [.. members.DistinctBy(m => m.Id).OrderBy(m => m.Id)];
        _ids = [.. Members.Select(m => m.Id)];
        SelfIndex = Array.IndexOf(_ids, self);
    }

    public long Version { get; }

    public NodeId Self { get; }

    /// <summary>Every member, ordered by id; preference lists are indices into it.</summary>
    public IReadOnlyList<ReplicaPeer> Members { get; }

    /// <summary>This node's index in <see cref="Members"/>, or -1.</summary>
    public int SelfIndex { get; }

    /// <summary>
    /// Writes the indices (into <see cref="Members"/>) of the <c>destination.Length</c> members closest to
    /// <paramref name="keyId"/>, closest first, and returns how many there are (fewer when the view is smaller).
    /// O(members × N): fine for the tens of members a cluster has, not for thousands.
    /// </summary>
    public int PreferenceList(NodeId keyId, Span<int> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(destination.Length, MaxPreference);
        Span<NodeId> distances = stackalloc NodeId[MaxPreference];
        var count = 0;
        for (var i = 0; i < _ids.Length; i++)
        {
            var distance = _ids[i] ^ keyId;
            if (count == destination.Length && (count == 0 || distance >= distances[count - 1]))
            {
                continue;
            }

            // Insertion into the sorted prefix: N is small, and ids are distinct, so distances never tie.
            var at = count < destination.Length ? count++ : count - 1;
            while (at > 0 && distances[at - 1] > distance)
            {
                distances[at] = distances[at - 1];
                destination[at] = destination[at - 1];
                at--;
            }

            distances[at] = distance;
            destination[at] = i;
        }

        return count;
    }

    /// <summary>Whether <paramref name="members"/> (ordered by id) are exactly this view's members, addresses included.</summary>
    public bool HasMembers(IReadOnlyList<ReplicaPeer> members)
    {
        if (members.Count != Members.Count)
        {
            return false;
        }

        for (var i = 0; i < members.Count; i++)
        {
            if (members[i] != Members[i])
            {
                return false;
            }
        }

        return true;
    }
}
