using DynamoKad.Kademlia;
using DynamoKad.Replication;
using Microsoft.Extensions.Time.Testing;

namespace DynamoKad.Tests.Replication;

/// <summary>
/// <see cref="PlacementView"/> and <see cref="KademliaReplicaPlacement.GetView"/>: the members anti-entropy's index places
/// keys under. It must give the same preference lists as a request would, and a new version exactly when the members change.
/// </summary>
public sealed class PlacementViewTests
{
    private const int Seed = 71;

    [Fact]
    public async Task TheViewIsRenewedOnlyWhenItsMembersChangeAndPlacesKeysAsARequestWould()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var network = new InMemoryKademliaNetwork(Seed);
        var random = new Random(Seed);
        var options = new KademliaOptions { K = 20, Alpha = 3 };
        var nodes = Enumerable.Range(0, 6)
            .Select(i => network.CreateNode(new Contact(NodeId.Random(random), $"sim://{i}"), options, time, random))
            .ToList();
        var self = nodes[0];
        var placement = new KademliaReplicaPlacement(self, time);

        var alone = placement.GetView();
        Assert.Equal([self.Self.Id], alone.Members.Select(m => m.Id));
        Assert.Same(alone, placement.GetView());

        foreach (var other in nodes.Skip(1))
        {
            self.Observe(other.Self);
        }

        var full = placement.GetView();
        Assert.True(full.Version > alone.Version);
        Assert.Equal(nodes.Select(n => n.Self.Id).Order(), full.Members.Select(m => m.Id));
        Assert.Same(full, placement.GetView());
        for (var i = 0; i < 50; i++)
        {
            var key = NodeId.Random(random);
            var candidates = await placement.GetPreferenceCandidatesAsync(key, 3, CancellationToken.None);
            Assert.Equal(candidates.Select(c => c.Id), PreferenceList(full, key, 3));
        }

        // Dropped from the routing table, a member keeps its place for ForgetAfter (a brief failure must not move
        // keys), then leaves the view.
        self.MarkFailed(nodes[1].Self.Id);
        Assert.Same(full, placement.GetView());
        time.Advance(KademliaReplicaPlacement.ForgetAfter + TimeSpan.FromSeconds(1));
        var smaller = placement.GetView();
        Assert.True(smaller.Version > full.Version);
        Assert.Equal(nodes.Skip(2).Append(self).Select(n => n.Self.Id).Order(), smaller.Members.Select(m => m.Id));
    }

    [Fact]
    public void APreferenceListFromTheViewIsTheNClosestMembersByXorDistance()
    {
        var random = new Random(61);
        Span<int> destination = stackalloc int[PlacementView.MaxPreference];
        for (var round = 0; round < 200; round++)
        {
            var members = Enumerable.Range(0, random.Next(1, 12)).Select(i => new ReplicaPeer(NodeId.Random(random), $"mem://{i}")).ToList();
            var view = new PlacementView(1, members[0].Id, members);
            var key = NodeId.Random(random);
            var n = random.Next(1, 6);
            var preferred = destination[..n];
            var count = view.PreferenceList(key, preferred);

            var expected = members.OrderBy(m => m.Id ^ key).Take(n).Select(m => m.Id).ToList();
            var actual = new List<NodeId>();
            foreach (var index in preferred[..count])
            {
                actual.Add(view.Members[index].Id);
            }

            Assert.Equal(expected, actual);
        }
    }

    private static List<NodeId> PreferenceList(PlacementView view, NodeId key, int n)
    {
        Span<int> preferred = stackalloc int[n];
        var count = view.PreferenceList(key, preferred);
        var ids = new List<NodeId>(count);
        foreach (var index in preferred[..count])
        {
            ids.Add(view.Members[index].Id);
        }

        return ids;
    }
}
