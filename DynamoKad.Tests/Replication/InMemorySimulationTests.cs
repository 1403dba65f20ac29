using System.Text;
using DynamoKad.Replication;

namespace DynamoKad.Tests.Replication;

/// <summary>Scenarios that need the in-memory network's seeded faults or a simulated restart.</summary>
public sealed class InMemorySimulationTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task HintsSurviveARestartOfTheNodeHoldingThem()
    {
        var cluster = new InMemoryTestCluster(seed: 77, nodes: 5);
        var key = Encoding.UTF8.GetBytes("survivor");
        var preference = await cluster.PreferenceListAsync(key);
        var owner = cluster[preference[2]];
        await cluster.KillAsync(owner.Id);
        await cluster[preference[0]].Coordinator.PutAsync(key, Encoding.UTF8.GetBytes("v"), null, null, None);
        var substitute = cluster.Nodes.Single(n => n.HintsAsync().Result.Count > 0);

        // Restart: everything but the storage engine is rebuilt.
        var restarted = new TestNode(substitute.Peer, cluster.Nodes.Select(n => n.Peer).ToList(), cluster.Network.ForNode(substitute.Id),
            TestClusterExtensions.DefaultOptions(), cluster.Time, substitute.Storage);
        cluster.Network.Register(restarted.Replica);
        await cluster.ReviveAsync(owner.Id);

        Assert.Equal(1, await restarted.Handoff.DeliverOnceAsync(None));
        Assert.Equal(["v"], (await owner.LocalVersionsAsync(key)).Select(v => Encoding.UTF8.GetString(v.Value)));
        Assert.Empty(await restarted.HintsAsync());
    }

    /// <summary>
    /// With every node a replica of every key, each coordinator reads its own copy and its clockwise successor's on
    /// the id ring, whatever the key: so a node's reads all travel one replica link (fuller frames) and every node
    /// serves the reads of exactly one other. Hedges never fire here (the fake clock stands still).
    /// </summary>
    [Fact]
    public async Task AReadAsksItsCoordinatorAndTheCoordinatorsClockwiseSuccessor()
    {
        var cluster = new InMemoryTestCluster(seed: 79, nodes: 3);
        var ring = cluster.Nodes.Select(n => n.Id).Order().ToList();
        var keys = Enumerable.Range(0, 30).Select(i => Encoding.UTF8.GetBytes($"k{i}")).ToList();
        foreach (var key in keys)
        {
            await cluster.Nodes[0].Coordinator.PutAsync(key, new byte[] { 1 }, null, null, None);
        }

        foreach (var node in cluster.Nodes)
        {
            var successor = ring[(ring.IndexOf(node.Id) + 1) % ring.Count];
            foreach (var key in keys)
            {
                var get = await node.Coordinator.GetAsync(key, null, None);
                Assert.Equal(new[] { node.Id, successor }.Order(), get.AnsweredBy.Order());
            }
        }
    }

    /// <summary>
    /// A read whose second replica does not answer asks the remaining preferred replica once the hedge delay passes,
    /// answers from it, and counts the hedged call (<c>dynamokad.reads.hedged</c>).
    /// </summary>
    [Fact]
    public async Task AReadWhoseReplicaHangsIsHedgedToTheThirdAfterTheDelayAndCounted()
    {
        var key = Encoding.UTF8.GetBytes("hedged");
        var held = await HeldSuccessorRead.CreateAsync(seed: 80, key);
        var node = held.Node;

        var get = node.Coordinator.GetAsync(key, null, None);
        await Task.Delay(50);
        Assert.False(get.IsCompleted, "the read answered without its held replica or a hedge");
        Assert.Equal(0, node.Metrics.ReadsHedged);

        held.Cluster.Time.Advance(TimeSpan.FromSeconds(1));
        var result = await get.WaitAsync(TimeSpan.FromSeconds(10));

        held.AssertAnsweredThroughTheHedge(result);
        held.Hang.SetResult([]);
    }

    /// <summary>
    /// Under load the reads themselves fire the hedges that are due (the timer is only the backstop): here the timer
    /// never fires at all, and a read whose replica hangs is still hedged, by the next read to arrive after its delay.
    /// </summary>
    [Fact]
    public async Task ADueHedgeIsFiredByTheNextReadWithoutTheTimer()
    {
        var key = Encoding.UTF8.GetBytes("hedged-by-a-read");
        var held = await HeldSuccessorRead.CreateAsync(seed: 81, key, onlyThisKey: true, clock: time => new TimersNeverFire(time));
        var node = held.Node;

        var get = node.Coordinator.GetAsync(key, null, None);
        await Task.Delay(50);
        Assert.False(get.IsCompleted, "the read answered without its held replica or a hedge");

        // Past the hedge delay, with no timer: only another read can notice the hedge is due.
        held.Cluster.Time.Advance(TimeSpan.FromSeconds(1));
        await Task.Delay(50);
        Assert.False(get.IsCompleted, "the hedge fired without a read or a timer");
        await node.Coordinator.GetAsync(Encoding.UTF8.GetBytes("the-next-read"), null, None);
        var result = await get.WaitAsync(TimeSpan.FromSeconds(10));

        held.AssertAnsweredThroughTheHedge(result);
        held.Hang.SetResult([]);
    }

    [Fact]
    public async Task HintDeliveryIsRateLimitedPerRound()
    {
        var options = TestClusterExtensions.DefaultOptions();
        options.HintDeliveryBatch = 3;
        var cluster = new InMemoryTestCluster(seed: 78, nodes: 4, options);
        var victim = cluster.Nodes[3];
        await cluster.KillAsync(victim.Id);
        for (var i = 0; i < 40; i++)
        {
            await cluster.Nodes[i % 3].Coordinator.PutAsync(Encoding.UTF8.GetBytes($"k{i}"), new byte[] { 1 }, null, null, None);
        }

        await cluster.ReviveAsync(victim.Id);
        var holders = cluster.Nodes.Where(n => n.HintsAsync().Result.Count > 0).ToList();
        Assert.NotEmpty(holders);
        foreach (var holder in holders)
        {
            var before = (await holder.HintsAsync()).Count;
            var delivered = await holder.Handoff.DeliverOnceAsync(None);
            Assert.Equal(Math.Min(3, before), delivered);
            Assert.Equal(before - delivered, (await holder.HintsAsync()).Count);
        }
    }

    /// <summary>
    /// A seeded run with half of all replica calls dropped: every write the cluster acknowledged is still readable
    /// after the faults stop and handoff plus anti-entropy run a bounded number of rounds, and the same seed
    /// replays the same run exactly.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ASeededLossyRunConvergesKeepsEveryAcknowledgedWriteAndReplays(int seed)
    {
        var first = await RunLossySimulationAsync(seed);
        var replay = await RunLossySimulationAsync(seed);

        Assert.Equal(first, replay);
        Assert.DoesNotContain("rounds=0;", first, StringComparison.Ordinal); // the drops left replicas to repair
        Assert.DoesNotContain("failed=0 ", first, StringComparison.Ordinal); // and made some writes miss their quorum
        Console.WriteLine(first[..first.IndexOf(';', StringComparison.Ordinal)]);
    }

    private static async Task<string> RunLossySimulationAsync(int seed)
    {
        var cluster = new InMemoryTestCluster(seed, nodes: 6);
        var random = new Random(seed);
        cluster.Network.SetDropRate(0.5);
        var acknowledged = new List<(string Key, string Value)>();
        var failures = 0;
        for (var op = 0; op < 120; op++)
        {
            var coordinator = cluster.Nodes[random.Next(cluster.Nodes.Count)];
            var key = $"k{random.Next(25)}";
            var value = $"v{op}";
            try
            {
                await coordinator.Coordinator.PutAsync(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value), null, null, None);
                acknowledged.Add((key, value));
            }
            catch (QuorumNotReachedException)
            {
                failures++;
            }

            cluster.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        cluster.Network.SetDropRate(0);
        var rounds = 0;
        while (!await cluster.ConvergedAsync(acknowledged.Select(a => a.Key)))
        {
            Assert.True(++rounds <= 3, $"seed {seed}: not converged after 3 rounds");
            foreach (var node in cluster.Nodes)
            {
                await node.Handoff.DeliverOnceAsync(None);
            }

            foreach (var node in cluster.Nodes)
            {
                await node.AntiEntropy.RunRoundAsync(None);
            }
        }

        var summary = new StringBuilder($"acked={acknowledged.Count} failed={failures} rounds={rounds};");
        foreach (var group in acknowledged.GroupBy(a => a.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var get = await cluster.Nodes[0].Coordinator.GetAsync(Encoding.UTF8.GetBytes(group.Key), new QuorumOverrides(R: 3), None);
            var values = get.Siblings.Select(s => Encoding.UTF8.GetString(s.Value)).ToHashSet();
            foreach (var (_, value) in group)
            {
                Assert.True(values.Contains(value), $"seed {seed}: acknowledged {group.Key}={value} lost");
            }

            summary.Append(group.Key).Append('=').Append(string.Join(',', values.Order(StringComparer.Ordinal))).Append(';');
        }

        return summary.ToString();
    }

    [Fact]
    public async Task AntiEntropyOnlyDescendsIntoDifferingSubtreesAndComparesOnlyTheirKeys()
    {
        var cluster = new InMemoryTestCluster(seed: 91, nodes: 3);
        for (var i = 0; i < 200; i++)
        {
            await cluster.Nodes[0].Coordinator.PutAsync(Encoding.UTF8.GetBytes($"k{i}"), new byte[] { 1 }, null, null, None);
        }

        await cluster.WhenIdleAsync();
        var a = cluster.Nodes[0];
        var b = cluster.Nodes[1];
        Assert.Equal(0, await a.AntiEntropy.SynchronizeAsync(b.Peer, None));
        Assert.Equal(0, a.Metrics.KeysCompared);

        // One key diverges on b only.
        var key = Encoding.UTF8.GetBytes("k17");
        var extra = new VersionedValue(new VersionClock(new ClockEntry(b.Id, ulong.MaxValue - 1, 0), VectorClock.Empty), [2], false);
        await b.Replica.MergeAsync(key, [extra], None);

        Assert.Equal(1, await a.AntiEntropy.SynchronizeAsync(b.Peer, None));
        Assert.InRange(a.Metrics.KeysCompared, 1, 3); // the keys sharing k17's leaf, not all 200
        Assert.Equal(2, (await a.LocalVersionsAsync(key)).Count);
        Assert.Equal((await b.Replica.GetTreeAsync(a.Id, None)).Root, (await a.Replica.GetTreeAsync(b.Id, None)).Root);
    }

    [Fact]
    public async Task TheInMemoryNetworkFailsCallsToDownAndPartitionedNodes()
    {
        var cluster = new InMemoryTestCluster(seed: 5, nodes: 3);
        var network = cluster.Network.ForNode(cluster.Nodes[0].Id);
        cluster.Partition([cluster.Nodes[0].Id], [cluster.Nodes[1].Id]);
        cluster.Network.Kill(cluster.Nodes[2].Id);

        var cut = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => network.ReadAsync(cluster.Nodes[1].Peer, [1], TimeSpan.FromSeconds(1), None));
        var down = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => network.ReadAsync(cluster.Nodes[2].Peer, [1], TimeSpan.FromSeconds(1), None));

        Assert.Contains("partitioned", cut.Message, StringComparison.Ordinal);
        Assert.Contains("down", down.Message, StringComparison.Ordinal);
        Assert.Equal(cluster.Nodes[1].Id, cut.Node);
        Assert.Empty(await network.ReadAsync(cluster.Nodes[0].Peer, [1], TimeSpan.FromSeconds(1), None)); // an unbroken link still works
    }
}
