using System.Text;
using DynamoKad.Kademlia;

namespace DynamoKad.Tests.Replication;

/// <summary>
/// A node can hold a key it does not own: a coordinator that had just restarted, its view still partial, took
/// it for a preferred replica and the write was acknowledged there without a hint (finding R5 of the
/// reliability harness). Anti-entropy must carry such keys to their real replicas.
/// </summary>
public sealed class StrayHandoffTests
{
    private const int Seed = 4242;

    [Fact]
    public async Task AKeyHeldOnlyByANodeThatDoesNotOwnItReachesEveryPreferredReplicaAndLeavesTheStray()
    {
        await using var cluster = new InMemoryTestCluster(Seed, nodes: 5);
        var (key, owners, stray) = await StrandKeyOnANonOwnerAsync(cluster);

        await cluster[stray].AntiEntropy.RunRoundAsync(CancellationToken.None);

        foreach (var owner in owners)
        {
            var versions = await cluster[owner].LocalVersionsAsync(key);
            Assert.Equal("stranded", Encoding.UTF8.GetString(Assert.Single(versions).Value));
        }

        Assert.Empty(await cluster[stray].LocalVersionsAsync(key));
    }

    [Fact]
    public async Task TheStrayKeepsItsCopyWhileAnOwnerCannotTakeIt()
    {
        await using var cluster = new InMemoryTestCluster(Seed, nodes: 5);
        var (key, owners, stray) = await StrandKeyOnANonOwnerAsync(cluster);
        await cluster.KillAsync(owners[^1]);

        await cluster[stray].AntiEntropy.RunRoundAsync(CancellationToken.None);

        Assert.Single(await cluster[stray].LocalVersionsAsync(key));
        foreach (var owner in owners.Take(owners.Count - 1))
        {
            Assert.Single(await cluster[owner].LocalVersionsAsync(key));
        }
    }

    /// <summary>Writes a key normally, then leaves its only copy on a node outside its preference list.</summary>
    private static async Task<(byte[] Key, IReadOnlyList<NodeId> Owners, NodeId Stray)> StrandKeyOnANonOwnerAsync(InMemoryTestCluster cluster)
    {
        var key = "stray-key"u8.ToArray();
        await cluster.Nodes[0].Coordinator.PutAsync(key, "stranded"u8.ToArray(), context: null, overrides: null, CancellationToken.None);
        await cluster.WhenIdleAsync();

        var owners = await cluster.PreferenceListAsync(key);
        var version = Assert.Single(await cluster[owners[0]].LocalVersionsAsync(key));
        foreach (var owner in owners)
        {
            // Through the replica, as every change is: its anti-entropy index must see the key go.
            Assert.True(await cluster[owner].Replica.DropIfUnchangedAsync(key, await cluster[owner].Storage.ReadAsync(key), CancellationToken.None));
        }

        var stray = cluster.Nodes.Select(n => n.Id).First(id => !owners.Contains(id));
        await cluster[stray].Replica.WriteAsync(key, [version], hintFor: null, CancellationToken.None);
        Assert.Single(await cluster[stray].LocalVersionsAsync(key));
        return (key, owners, stray);
    }
}
