using DynamoKad.Kademlia;

namespace DynamoKad.Tests.Kademlia;

/// <summary>
/// The contract of <see cref="IKademliaNetwork"/>, run against every implementation (in memory and real
/// gRPC): the same overlay behaviour must hold whichever network carries the RPCs.
/// </summary>
public abstract class KademliaNetworkSuite : IAsyncLifetime
{
    protected const int Seed = 2026;

    protected static readonly KademliaOptions Options = new() { K = 3, Alpha = 2, RpcTimeoutMs = 2000, LookupDeadlineMs = 10_000 };

    private readonly Random _random = new(Seed);

    /// <summary>An address where no node answers.</summary>
    protected abstract string UnusedAddress { get; }

    protected List<KademliaNode> Nodes { get; } = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public abstract Task DisposeAsync();

    [Fact]
    public async Task JoiningLearnsTheSeedsIdAndBothSidesRecordEachOther()
    {
        var (a, b) = (await StartNodeAsync(), await StartNodeAsync());

        Assert.True(await b.JoinAsync([a.Self.Address], CancellationToken.None));
        await SettleAsync();

        Assert.True(b.RoutingTable.Contains(a.Self.Id));
        Assert.True(a.RoutingTable.Contains(b.Self.Id));
    }

    [Fact]
    public async Task APingToAnAddressWhereNobodyListensGetsNoAnswer()
    {
        var a = await StartNodeAsync();

        Assert.Null(await a.Network.PingAsync(a.Self, UnusedAddress, CancellationToken.None));
        Assert.False(await a.JoinAsync([UnusedAddress], CancellationToken.None));
        Assert.Equal(0, a.RoutingTable.Count);
    }

    [Fact]
    public async Task LookupsFromEveryNodeReturnTheKClosestOfTheWholeCluster()
    {
        await StartClusterAsync(8);
        for (var t = 0; t < 5; t++)
        {
            var target = NodeId.Random(_random);
            var expected = Nodes.Select(n => n.Self.Id).OrderBy(id => id ^ target).Take(Options.K).ToList();
            foreach (var node in Nodes)
            {
                var result = await node.LookupAsync(target, CancellationToken.None);
                Assert.Equal(expected, result.Select(c => c.Id).ToList());
            }
        }
    }

    [Fact]
    public async Task AStoredRecordIsFoundFromEveryNode()
    {
        await StartClusterAsync(6);
        var key = NodeId.ForKey("membership/epoch"u8);

        var (_, stored) = await Nodes[0].StoreValueAsync(key, [4, 2], TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal(Options.K, stored);
        foreach (var node in Nodes)
        {
            Assert.Equal([4, 2], (await node.FindValueAsync(key, CancellationToken.None)).Value);
        }
    }

    [Fact]
    public async Task AStoppedNodeIsDroppedFromLookupsAndMarkedFailed()
    {
        await StartClusterAsync(7);
        var initiator = Nodes[0];
        var victim = Nodes.Skip(1).First(n => initiator.RoutingTable.Contains(n.Self.Id));
        await StopNodeAsync(victim);

        var result = await initiator.LookupWithStatsAsync(victim.Self.Id, CancellationToken.None);

        var live = Nodes.Where(n => n != victim).Select(n => n.Self.Id).OrderBy(id => id ^ victim.Self.Id).Take(Options.K);
        Assert.Equal(live, result.Closest.Select(c => c.Id));
        Assert.True(result.Failures >= 2, $"failures {result.Failures}");
        Assert.False(initiator.RoutingTable.Contains(victim.Self.Id));
    }

    protected abstract Task<KademliaNode> StartNodeAsync(NodeId id);

    protected abstract Task StopNodeAsync(KademliaNode node);

    /// <summary>Lets background work the RPCs started (probes) finish, where the network can say when.</summary>
    protected virtual Task SettleAsync() => Task.CompletedTask;

    private async Task<KademliaNode> StartNodeAsync()
    {
        var node = await StartNodeAsync(NodeId.Random(_random));
        Nodes.Add(node);
        return node;
    }

    private async Task StartClusterAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var node = await StartNodeAsync();
            if (i > 0)
            {
                Assert.True(await node.JoinAsync([Nodes[_random.Next(i)].Self.Address], CancellationToken.None));
            }

            await SettleAsync();
        }

        // Every node refreshes once the cluster is complete, as the periodic refresh would.
        foreach (var node in Nodes)
        {
            await node.LookupAsync(node.Self.Id, CancellationToken.None);
            await SettleAsync();
        }
    }
}
