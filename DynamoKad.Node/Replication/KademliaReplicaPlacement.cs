using System.Collections.Concurrent;
using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

/// <summary>
/// Placement from the Kademlia overlay (Dynamo §4.2 on Kademlia §2): a key's candidates are the nodes closest
/// to SHA-1(key) among this node, its routing table, and the members it has recently known.
/// <para>
/// The routing table drops a contact the moment it fails to answer (Kademlia §4.1), but a preference list
/// must not shift whenever a replica is briefly down: the substitute must know whom it holds a hint for, and
/// the owner must get its keys back. So members are remembered for <see cref="ForgetAfter"/> after they
/// were last heard from; the coordinator tries a down preferred replica, fails fast, and moves on to a
/// fallback with a hint, exactly as it does for any other failure.
/// </para>
/// </summary>
public sealed class KademliaReplicaPlacement(KademliaNode node, TimeProvider time) : IReplicaPlacement
{
    /// <summary>How long a member that is no longer in the routing table still holds its place.</summary>
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromHours(1);

    /// <summary>How often a sparse table may trigger a lookup to find more members.</summary>
    private static readonly TimeSpan FillLookupInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A member seen healthy this recently is not updated again: every request and every replica call reports its
    /// peers, and rewriting the member (and the routing table's LRU order) each time is work no decision needs.
    /// </summary>
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<NodeId, Member> _members = new();
    private readonly Lock _viewLock = new();
    private long _lastFillLookup = long.MinValue;
    private PlacementView? _view;

    public NodeId Self => node.Self.Id;

    /// <summary>Every member this node remembers (itself excluded), with what it last saw of each.</summary>
    public IReadOnlyList<Member> Members => [.. _members.Values];

    public async ValueTask<IReadOnlyList<ReplicaPeer>> GetPreferenceCandidatesAsync(NodeId keyId, int count, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var fromTable = node.RoutingTable.Closest(keyId, count);
        foreach (var contact in fromTable)
        {
            Remember(contact, now, answered: false);
        }

        // A table that knows fewer nodes than a preference list needs may simply not have met them yet.
        if (fromTable.Count + 1 < count && ShouldFill())
        {
            try
            {
                foreach (var contact in await node.LookupAsync(keyId, cancellationToken))
                {
                    Remember(contact, now, answered: true);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // A lookup that hit its deadline leaves the candidates we already have.
            }
        }

        var candidates = new List<ReplicaPeer>(count + 1) { new(Self, node.Self.Address) };
        // The dictionary's own enumerator, not .Values: that snapshot takes every lock of the dictionary and copies
        // it into two new collections, on every request.
        foreach (var (_, member) in _members)
        {
            if (IsCandidate(member, now))
            {
                candidates.Add(member.Peer);
            }
        }

        RoutingTable.SortByDistance(candidates, static p => p.Id, keyId);
        if (candidates.Count > count)
        {
            candidates.RemoveRange(count, candidates.Count - count);
        }

        return candidates;
    }

    /// <remarks>
    /// The candidates are those <see cref="GetPreferenceCandidatesAsync"/> sorts: this node and every member remembered
    /// recently or still in the routing table. Every routing-table contact is remembered first, as a request for a key
    /// near it would: the N closest candidates to any key are then the same as that request's first N, without one.
    /// </remarks>
    public PlacementView GetView()
    {
        var now = time.GetUtcNow();
        foreach (var contact in node.RoutingTable.Closest(Self, node.RoutingTable.Count))
        {
            Remember(contact, now, answered: false);
        }

        var members = new List<ReplicaPeer> { new(Self, node.Self.Address) };
        foreach (var member in _members.Values)
        {
            if (IsCandidate(member, now))
            {
                members.Add(member.Peer);
            }
        }

        members.Sort((a, b) => a.Id.CompareTo(b.Id));
        lock (_viewLock)
        {
            if (_view is null || !_view.HasMembers(members))
            {
                _view = new PlacementView((_view?.Version ?? 0) + 1, Self, members);
            }

            return _view;
        }
    }

    public async ValueTask<ReplicaPeer?> FindPeerAsync(NodeId id, CancellationToken cancellationToken)
    {
        if (id == Self)
        {
            return new ReplicaPeer(Self, node.Self.Address);
        }

        if (_members.TryGetValue(id, out var member))
        {
            return member.Peer;
        }

        var found = node.RoutingTable.Closest(id, 1);
        if (found.Count == 1 && found[0].Id == id)
        {
            return new ReplicaPeer(id, found[0].Address);
        }

        var looked = await node.LookupAsync(id, cancellationToken);
        return looked.Where(c => c.Id == id).Select(c => new ReplicaPeer(c.Id, c.Address)).FirstOrDefault();
    }

    public void ReportUnreachable(NodeId id)
    {
        if (_members.TryGetValue(id, out var member))
        {
            _members[id] = member with { Failures = member.Failures + 1 };
        }
    }

    public void ReportReachable(NodeId id)
    {
        if (_members.TryGetValue(id, out var member))
        {
            var now = time.GetUtcNow();
            if (member.Failures == 0 && now - member.LastSeen < Freshness)
            {
                return;
            }

            _members[id] = member with { Failures = 0, LastSeen = now };
            node.Observe(new Contact(id, member.Peer.Address));
        }
    }

    private void Remember(Contact contact, DateTimeOffset now, bool answered)
    {
        if (contact.Id == Self
            || (_members.TryGetValue(contact.Id, out var known)
                && known.Peer.Address == contact.Address
                && (known.Failures == 0 || !answered)
                && now - known.LastSeen < Freshness))
        {
            return;
        }

        _members.AddOrUpdate(
            contact.Id,
            static (id, state) => new Member(new ReplicaPeer(id, state.contact.Address), state.now, 0),
            static (id, existing, state) => existing with
            {
                Peer = existing.Peer.Address == state.contact.Address ? existing.Peer : new ReplicaPeer(id, state.contact.Address),
                // Being in the routing table means the node was heard from recently enough to stay there.
                LastSeen = state.now,
                Failures = state.answered ? 0 : existing.Failures,
            },
            (contact, now, answered));
    }

    /// <summary>Whether a remembered member still holds its place in preference lists.</summary>
    private bool IsCandidate(Member member, DateTimeOffset now) =>
        now - member.LastSeen <= ForgetAfter || node.RoutingTable.Contains(member.Peer.Id);

    private bool ShouldFill()
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastFillLookup);
        if (last != long.MinValue && time.GetElapsedTime(last, now) < FillLookupInterval)
        {
            return false;
        }

        return Interlocked.CompareExchange(ref _lastFillLookup, now, last) == last;
    }

    /// <summary>A remembered member: its address, when it was last known alive, and failures since.</summary>
    public sealed record Member(ReplicaPeer Peer, DateTimeOffset LastSeen, int Failures);
}
