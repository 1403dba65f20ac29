using DynamoKad.Kademlia.Simulation;

namespace DynamoKad.Tests.Kademlia;

/// <summary>Whole overlays in memory: joins, lookups checked against the true k closest live nodes.</summary>
public sealed class SimulationTests
{
    [Theory]
    [InlineData(100, 17)]
    [InlineData(1000, 42)]
    public async Task LookupsConvergeOnTheTrueKClosestNodes(int nodes, int seed)
    {
        var report = await new KademliaSimulator(new SimulationSettings(nodes, 200, 20, 3, seed, 0, 0, 0)).RunAsync();

        Assert.True(report.SuccessRate >= 0.99, $"seed {seed}: success {report.SuccessRate}, failed lookups {string.Join(",", report.FailedLookupIndices)}");
        Assert.True(report.HopsP99 <= Math.Ceiling(Math.Log2(nodes)), $"seed {seed}: hops p99 {report.HopsP99}");
        Assert.InRange(report.RpcsP50, 1, 60);
    }

    [Fact]
    public async Task TheSameSeedReplaysTheSameRunAndAnotherSeedDoesNot()
    {
        var settings = new SimulationSettings(300, 100, 8, 3, 7, 0.1, 0.02, 20);

        var first = await new KademliaSimulator(settings).RunAsync();
        var second = await new KademliaSimulator(settings).RunAsync();
        var other = await new KademliaSimulator(settings with { Seed = 8 }).RunAsync();

        Assert.Equal(first.ToJson(), second.ToJson());
        Assert.Equal(first.FailedLookupIndices, second.FailedLookupIndices);
        Assert.NotEqual(first.Messages, other.Messages);
    }

    [Fact]
    public async Task LookupsStillSucceedWhenTenPercentOfNodesFailMidRun()
    {
        const int Seed = 99;
        var simulator = new KademliaSimulator(new SimulationSettings(1000, 400, 20, 3, Seed, 0.1, 0, 50));

        var report = await simulator.RunAsync();

        Assert.Equal(100, report.FailedNodes);
        // Right after the failures, responders still list dead contacts they have not yet tried, so a
        // lookup can miss a live node at the edge of the k closest; nearly all of them are found.
        Assert.True(report.Recall >= 0.97, $"seed {Seed}: recall {report.Recall}");
        // Once every node has refreshed its buckets (as it does each RefreshInterval), lookups are exact.
        Assert.True(report.SuccessRateAfterRefresh >= 0.99, $"seed {Seed}: after refresh {report.SuccessRateAfterRefresh}");
        // Records stored on k nodes survive the loss of 10% of the nodes.
        Assert.Equal(1, report.ValuesFoundRate);
    }

    [Fact]
    public async Task LookupsReturnOnlyLiveNodesDespiteChurnAndMessageLoss()
    {
        const int Seed = 5;
        var simulator = new KademliaSimulator(new SimulationSettings(500, 0, 10, 3, Seed, 0.1, 0.01, 0));
        await simulator.RunAsync();
        var network = simulator.Network!;
        var random = new Random(Seed);
        var live = simulator.Nodes.Where(n => network.IsUp(n.Self.Address)).ToList();

        for (var i = 0; i < 50; i++)
        {
            var result = await live[random.Next(live.Count)].LookupWithStatsAsync(DynamoKad.Kademlia.NodeId.Random(random), CancellationToken.None);
            Assert.Equal(10, result.Closest.Count);
            Assert.All(result.Closest, c => Assert.True(network.IsUp(c.Address), $"seed {Seed}: dead {c} returned"));
        }
    }
}
