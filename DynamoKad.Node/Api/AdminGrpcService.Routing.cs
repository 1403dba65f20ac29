using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace DynamoKad.Api;

/// <summary>The overlay as this node sees it: its k-buckets and every node it knows.</summary>
internal sealed partial class AdminGrpcService
{
    public override Task<RoutingTableView> GetRoutingTable(GetRoutingTableRequest request, ServerCallContext context)
    {
        var snapshot = kademlia.RoutingTable.Snapshot();
        var view = new RoutingTableView
        {
            SelfId = snapshot.Self.ToString(),
            K = (uint)snapshot.K,
            Alpha = (uint)kademlia.Options.Alpha,
            TotalContacts = (uint)snapshot.ContactCount,
            BootstrapStatus = kademlia.BootstrapProblem ?? string.Empty,
        };
        var failures = Members().ToDictionary(m => m.Peer.Id, m => m.Failures);
        foreach (var bucket in snapshot.Buckets)
        {
            var bucketView = new KBucketView
            {
                Index = (uint)bucket.Index,
                ReplacementCacheSize = (uint)bucket.Replacements.Count,
                LastRefreshed = Timestamp.FromDateTimeOffset(bucket.LastLookup),
            };
            bucketView.Contacts.AddRange(bucket.Contacts.Select(c => new RoutingContact
            {
                NodeId = c.Contact.Id.ToString(),
                Address = c.Contact.Address,
                LastSeen = Timestamp.FromDateTimeOffset(c.LastSeen),
                FailedRequests = (uint)Math.Max(failures.GetValueOrDefault(c.Contact.Id), 0),
            }));
            view.Buckets.Add(bucketView);
        }

        return Task.FromResult(view);
    }

    /// <summary>
    /// Itself, every routing-table contact ("alive", or "suspect" after failed replica calls) and every member
    /// replication still remembers that has left the table ("down").
    /// </summary>
    public override Task<ClusterView> GetClusterView(GetClusterViewRequest request, ServerCallContext context)
    {
        var self = kademlia.Self;
        var view = new ClusterView { SelfId = self.Id.ToString() };
        view.Members.Add(new ClusterMember
        {
            NodeId = self.Id.ToString(),
            Address = self.Address,
            State = "self",
            LastSeen = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
        });

        var others = new List<ClusterMember>();
        var members = Members().ToDictionary(m => m.Peer.Id);
        var inTable = new HashSet<NodeId>();
        foreach (var contact in kademlia.RoutingTable.Snapshot().Buckets.SelectMany(b => b.Contacts))
        {
            inTable.Add(contact.Contact.Id);
            var suspect = members.TryGetValue(contact.Contact.Id, out var member) && member.Failures > 0;
            others.Add(Member(contact.Contact.Id, contact.Contact.Address, suspect ? "suspect" : "alive", contact.LastSeen));
        }

        foreach (var member in members.Values.Where(m => !inTable.Contains(m.Peer.Id)))
        {
            others.Add(Member(member.Peer.Id, member.Peer.Address, "down", member.LastSeen));
        }

        view.Members.AddRange(others.OrderBy(m => m.BucketIndex).ThenBy(m => m.NodeId, StringComparer.Ordinal));
        return Task.FromResult(view);

        ClusterMember Member(NodeId id, string address, string state, DateTimeOffset lastSeen) => new()
        {
            NodeId = id.ToString(),
            Address = address,
            State = state,
            LastSeen = Timestamp.FromDateTimeOffset(lastSeen),
            BucketIndex = (uint)self.Id.BucketIndexOf(id),
        };
    }

    private IReadOnlyList<KademliaReplicaPlacement.Member> Members() =>
        placement is KademliaReplicaPlacement overlay ? overlay.Members : [];
}
