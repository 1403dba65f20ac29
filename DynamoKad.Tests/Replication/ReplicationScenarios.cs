using System.Text;
using DynamoKad.Kademlia;
using DynamoKad.Replication;

namespace DynamoKad.Tests.Replication;

/// <summary>
/// The replication scenarios of issue 5, written once against <see cref="ITestCluster"/> and run on the
/// in-memory network and over real gRPC. Every assertion message carries the seed.
/// </summary>
public abstract class ReplicationScenarios
{
    private const int Seed = 5150;

    internal abstract Task<ITestCluster> StartAsync(int seed, int nodes, ReplicationOptions? options = null);

    private static byte[] Key(string name) => Encoding.UTF8.GetBytes(name);

    private static byte[] Value(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(VersionedValue version) => Encoding.UTF8.GetString(version.Value);

    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task QuorumWriteThenReadReturnsTheValueFromAtLeastRReplicas()
    {
        await using var cluster = await StartAsync(Seed, 3);
        var put = await cluster.Nodes[0].Coordinator.PutAsync(Key("k"), Value("v1"), null, null, None);
        var get = await cluster.Nodes[1].Coordinator.GetAsync(Key("k"), null, None);

        Assert.True(put.Acks >= 2, $"seed {cluster.Seed}: {put.Acks} acks");
        Assert.True(get.Found, $"seed {cluster.Seed}");
        Assert.Equal(["v1"], get.Siblings.Select(Text));
        Assert.True(get.AnsweredBy.Count >= 2, $"seed {cluster.Seed}: answered by {get.AnsweredBy.Count}");
        Assert.Subset(cluster.Nodes.Select(n => n.Id).ToHashSet(), get.AnsweredBy.ToHashSet());
    }

    [Fact]
    public async Task WriteAndReadFailNamingHowManyReplicasAnsweredWhenTwoOfThreeAreDown()
    {
        await using var cluster = await StartAsync(Seed, 3);
        var coordinator = cluster.Nodes[0];
        await cluster.KillAsync(cluster.Nodes[1].Id);
        await cluster.KillAsync(cluster.Nodes[2].Id);

        var write = await Assert.ThrowsAsync<QuorumNotReachedException>(() => coordinator.Coordinator.PutAsync(Key("k"), Value("v"), null, null, None));
        var read = await Assert.ThrowsAsync<QuorumNotReachedException>(() => coordinator.Coordinator.GetAsync(Key("k"), null, None));

        Assert.Equal((2, 1, 3), (write.Required, write.Answered, write.N));
        Assert.Equal("write reached 1 of the 2 replicas required (N=3).", write.Message);
        Assert.Equal((2, 1, 3), (read.Required, read.Answered, read.N));
        Assert.StartsWith("read reached 1 of the 2", read.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentBlindWritesBecomeSiblingsAndAWriteWithTheReadContextReplacesThem()
    {
        await using var cluster = await StartAsync(Seed, 3);
        await cluster.Nodes[0].Coordinator.PutAsync(Key("cart"), Value("a"), null, null, None);
        await cluster.Nodes[1].Coordinator.PutAsync(Key("cart"), Value("b"), null, null, None);
        // Two blind writes through one coordinator must not overwrite each other either.
        await cluster.Nodes[0].Coordinator.PutAsync(Key("cart"), Value("c"), null, null, None);
        await cluster.WhenIdleAsync();

        var siblings = await cluster.Nodes[2].Coordinator.GetAsync(Key("cart"), null, None);
        Assert.Equal(["a", "b", "c"], siblings.Siblings.Select(Text).Order());

        await cluster.Nodes[2].Coordinator.PutAsync(Key("cart"), Value("a+b+c"), siblings.Context, null, None);
        await cluster.WhenIdleAsync();
        var resolved = await cluster.Nodes[1].Coordinator.GetAsync(Key("cart"), null, None);

        Assert.Equal(["a+b+c"], resolved.Siblings.Select(Text));
        foreach (var node in cluster.Nodes)
        {
            Assert.Single(await node.LocalVersionsAsync(Key("cart")));
        }
    }

    [Fact]
    public async Task APutsContextCoversOnlyItsWriteAndTheSiblingsItReturns()
    {
        // Finding R1 (docs/RELIABILITY.md): dots are node-wide counters, so a put's context summarising "b" as
        // {C: n} also covered "a", an earlier concurrent blind write through the same coordinator, and the next put
        // with it silently dropped "a". Now the put answers with the siblings its context covers.
        await using var cluster = await StartAsync(Seed, 3);
        var key = Key("r1-put");
        var coordinator = cluster[(await cluster.PreferenceListAsync(key))[0]].Coordinator;
        var a = await coordinator.PutAsync(key, Value("a"), null, null, None);
        var b = await coordinator.PutAsync(key, Value("b"), null, null, None);
        Assert.Empty(a.Siblings);
        Assert.Equal(["a"], b.Siblings.Select(Text));

        var c = await coordinator.PutAsync(key, Value("c"), a.Context, null, None);
        await cluster.WhenIdleAsync();
        Assert.Equal(["b"], c.Siblings.Select(Text));
        var read = await cluster.Nodes[1].Coordinator.GetAsync(key, new QuorumOverrides(R: 3), None);
        Assert.Equal(["b", "c"], read.Siblings.Select(Text).Order());

        await coordinator.PutAsync(key, Value("b+c"), c.Context, null, None);
        await cluster.WhenIdleAsync();
        Assert.Equal(["b+c"], (await coordinator.GetAsync(key, new QuorumOverrides(R: 3), None)).Siblings.Select(Text));
    }

    [Fact]
    public async Task ANodeThatIsNotAReplicaForwardsTheWriteToOneThatIs()
    {
        await using var cluster = await StartAsync(Seed, 5);
        var key = Key("forwarded");
        var preference = await cluster.PreferenceListAsync(key);
        var outsider = cluster.Nodes.First(n => !preference.Contains(n.Id));

        var first = await outsider.Coordinator.PutAsync(key, Value("1"), null, null, None);
        var second = await outsider.Coordinator.PutAsync(key, Value("2"), first.Context, null, None);
        await cluster.WhenIdleAsync();

        Assert.Contains(first.Version.Clock.Dot.Node, preference);
        Assert.Empty(second.Siblings);
        Assert.Empty(await outsider.LocalVersionsAsync(key));
        Assert.Equal(["2"], (await outsider.Coordinator.GetAsync(key, new QuorumOverrides(R: 3), None)).Siblings.Select(Text));

        // Every preferred replica unreachable from the outsider: the write fails with no acknowledgement.
        cluster.Partition([outsider.Id], preference);
        var failed = await Assert.ThrowsAsync<QuorumNotReachedException>(() => outsider.Coordinator.PutAsync(key, Value("3"), second.Context, null, None));
        Assert.Equal(0, failed.Answered);
    }

    [Fact]
    public async Task AReadSeesEveryEarlierDotOfACoordinatorWhoseLaterDotItSees()
    {
        // Finding R1, read side: "a" reached only its coordinator C; "b", a later blind write through C, reached
        // the others. Sent alone, "b" let a read of the other two answer {b} with a context covering "a" too.
        // C sends its whole sibling set with "b", so whoever holds "b" holds "a".
        await using var cluster = await StartAsync(Seed, 3);
        var key = Key("r1-read");
        var preference = await cluster.PreferenceListAsync(key);
        var c = cluster[preference[0]];
        var others = preference.Skip(1).ToList();
        cluster.Partition([c.Id], others);
        await c.Coordinator.PutAsync(key, Value("a"), null, new QuorumOverrides(W: 1), None);
        await cluster.WhenIdleAsync();
        cluster.Heal();
        await c.Coordinator.PutAsync(key, Value("b"), null, null, None);
        await cluster.WhenIdleAsync();

        cluster.Partition([c.Id], others);
        var read = await cluster[others[0]].Coordinator.GetAsync(key, null, None);
        Assert.Equal(["a", "b"], read.Siblings.Select(Text).Order());
        await cluster[others[0]].Coordinator.PutAsync(key, Value("a+b"), read.Context, null, None);
        await cluster.WhenIdleAsync();
        cluster.Heal();

        var final = await c.Coordinator.GetAsync(key, new QuorumOverrides(R: 3), None);
        Assert.Equal(["a+b"], final.Siblings.Select(Text));
    }

    [Fact]
    public async Task NoAcknowledgedWriteIsLostWhenAnyOneOfThreeReplicasIsKilled()
    {
        await using var cluster = await StartAsync(Seed, 3);
        var acknowledged = new Dictionary<string, string>();
        for (var round = 0; round < cluster.Nodes.Count; round++)
        {
            var victim = cluster.Nodes[round];
            var coordinator = cluster.Nodes[(round + 1) % cluster.Nodes.Count];
            for (var i = 0; i < 8; i++)
            {
                var key = $"key-{round}-{i}";
                await coordinator.Coordinator.PutAsync(Key(key), Value($"value-{round}-{i}"), null, null, None);
                acknowledged[key] = $"value-{round}-{i}";
            }

            // Killed right after the acknowledgements: the third replica's write may still be in flight.
            await cluster.KillAsync(victim.Id);
            var reader = cluster.Nodes[(round + 2) % cluster.Nodes.Count];
            foreach (var (key, value) in acknowledged)
            {
                var get = await reader.Coordinator.GetAsync(Key(key), null, None);
                Assert.True(get.Siblings.Any(s => Text(s) == value), $"seed {cluster.Seed}: {key} lost with {victim} down");
            }

            await cluster.WhenIdleAsync();
            await cluster.ReviveAsync(victim.Id);
        }
    }

    [Fact]
    public async Task HintedHandoffDeliversToAPreferredReplicaThatComesBack()
    {
        await using var cluster = await StartAsync(Seed, 5);
        var key = Key("hinted");
        var preference = await cluster.PreferenceListAsync(key);
        var coordinator = cluster[preference[0]];
        var owner = cluster[preference[1]];
        await cluster.KillAsync(owner.Id);

        var put = await coordinator.Coordinator.PutAsync(key, Value("v"), null, null, None);
        await cluster.WhenIdleAsync();

        Assert.Equal(2, put.Acks);
        var substitute = cluster.Nodes.Single(n => n.HintsAsync().Result.Count > 0);
        Assert.DoesNotContain(substitute.Id, preference);
        Assert.Equal(owner.Id, NodeId.FromBytes((await substitute.HintsAsync())[0].Target));
        Assert.Empty(await owner.LocalVersionsAsync(key));

        // While the owner is down the substitute keeps the hint (and answers reads in its place).
        Assert.Equal(0, await substitute.Handoff.DeliverOnceAsync(None));
        Assert.Single(await substitute.HintsAsync());
        var read = await coordinator.Coordinator.GetAsync(key, new QuorumOverrides(R: 3), None);
        Assert.Contains(substitute.Id, read.AnsweredBy);

        await cluster.ReviveAsync(owner.Id);
        Assert.Equal(1, await substitute.Handoff.DeliverOnceAsync(None));

        Assert.Equal(["v"], (await owner.LocalVersionsAsync(key)).Select(Text));
        Assert.Empty(await substitute.HintsAsync());
        Assert.Empty(await substitute.LocalVersionsAsync(key));
        Assert.Equal(1, substitute.Metrics.HintsDelivered);
    }

    [Fact]
    public async Task ASubstituteHandsTheOwnerTheCoordinatorsWholeSiblingSet()
    {
        // "a" reached only its coordinator; "b", a later blind write through it, finds one owner down. The
        // substitute must get (and hand over) {a, b}, never "b" alone: an owner holding "b" without "a" would let a
        // read answer a context covering "a" without returning it (finding R1).
        await using var cluster = await StartAsync(Seed, 5);
        var key = Key("hinted-set");
        var preference = await cluster.PreferenceListAsync(key);
        var coordinator = cluster[preference[0]];
        var owner = cluster[preference[1]];
        cluster.Partition([coordinator.Id], cluster.Nodes.Where(n => n != coordinator).Select(n => n.Id));
        await coordinator.Coordinator.PutAsync(key, Value("a"), null, new QuorumOverrides(W: 1), None);
        await cluster.WhenIdleAsync();
        cluster.Heal();
        await cluster.KillAsync(owner.Id);

        await coordinator.Coordinator.PutAsync(key, Value("b"), null, null, None);
        await cluster.WhenIdleAsync();
        var substitute = cluster.Nodes.Single(n => n.HintsAsync().Result.Count > 0);
        Assert.Equal(["a", "b"], (await substitute.LocalVersionsAsync(key)).Select(Text).Order());

        await cluster.ReviveAsync(owner.Id);
        Assert.True(await substitute.Handoff.DeliverOnceAsync(None) > 0, $"seed {cluster.Seed}");
        Assert.Equal(["a", "b"], (await owner.LocalVersionsAsync(key)).Select(Text).Order());
        Assert.Empty(await substitute.HintsAsync());
        Assert.Empty(await substitute.LocalVersionsAsync(key));
    }

    [Fact]
    public async Task AReadWhoseReplicasAllAgreeSchedulesNoRepair()
    {
        await using var cluster = await StartAsync(Seed, 3);
        var key = Key("agreed");
        var coordinator = cluster[(await cluster.PreferenceListAsync(key))[0]];
        await coordinator.Coordinator.PutAsync(key, Value("v"), null, new QuorumOverrides(W: 3), None);
        await cluster.WhenIdleAsync();

        // R=3: every replica is asked at once, so no hedge can leave one outstanding; the last answer (over gRPC, on
        // the stream's reading thread) completes the read, and its call must count as ended by then.
        for (var i = 0; i < 5; i++)
        {
            var get = await coordinator.Coordinator.GetAsync(key, new QuorumOverrides(R: 3), None);
            Assert.Equal(["v"], get.Siblings.Select(Text));
            Assert.Equal(3, get.AnsweredBy.Count);
            Assert.False(get.ReadRepairScheduled, $"read {i}, seed {cluster.Seed}");
        }

        await cluster.WhenIdleAsync();
        Assert.Equal(0, coordinator.Metrics.ReadRepairs);
    }

    [Fact]
    public async Task ReadRepairBringsAStaleReplicaUpToDateInTheBackground()
    {
        await using var cluster = await StartAsync(Seed, 3);
        var key = Key("repair");
        var preference = await cluster.PreferenceListAsync(key);
        var coordinator = cluster[preference[0]];
        var stale = cluster[preference[2]];
        var first = await coordinator.Coordinator.PutAsync(key, Value("old"), null, null, None);
        await cluster.WhenIdleAsync();

        cluster.Partition([stale.Id], cluster.Nodes.Where(n => n != stale).Select(n => n.Id));
        await coordinator.Coordinator.PutAsync(key, Value("new"), first.Context, null, None);
        await cluster.WhenIdleAsync();
        cluster.Heal();
        Assert.Equal(["old"], (await stale.LocalVersionsAsync(key)).Select(Text));

        var get = await coordinator.Coordinator.GetAsync(key, new QuorumOverrides(R: 3), None);
        Assert.Equal(["new"], get.Siblings.Select(Text));
        Assert.True(get.ReadRepairScheduled, $"seed {cluster.Seed}");
        await cluster.WhenIdleAsync();

        Assert.Equal(["new"], (await stale.LocalVersionsAsync(key)).Select(Text));
        Assert.Equal(1, coordinator.Metrics.ReadRepairs);
    }

    [Fact]
    public async Task AfterAPartitionHealsAntiEntropyMakesEveryReplicaOfEveryKeyIdentical()
    {
        await using var cluster = await StartAsync(Seed, 5);
        var sideA = cluster.Nodes.Take(2).Select(n => n.Id).ToList();
        var sideB = cluster.Nodes.Skip(2).Select(n => n.Id).ToList();
        cluster.Partition(sideA, sideB);
        var acknowledged = new List<(string Key, string Value)>();
        for (var i = 0; i < 24; i++)
        {
            var coordinator = cluster.Nodes[i % cluster.Nodes.Count];
            var key = $"split-{i % 12}";
            var value = $"v{i}";
            try
            {
                await coordinator.Coordinator.PutAsync(Key(key), Value(value), null, null, None);
                acknowledged.Add((key, value));
            }
            catch (QuorumNotReachedException)
            {
                // Not acknowledged: no promise to keep.
            }
        }

        await cluster.WhenIdleAsync();
        cluster.Heal();
        Assert.False(await cluster.ConvergedAsync(acknowledged.Select(a => a.Key)), $"seed {cluster.Seed}: the partition should have left replicas apart");

        const int MaxRounds = 3;
        var rounds = 0;
        while (!await cluster.ConvergedAsync(acknowledged.Select(a => a.Key)))
        {
            Assert.True(++rounds <= MaxRounds, $"seed {cluster.Seed}: not converged after {MaxRounds} rounds");
            foreach (var node in cluster.Nodes)
            {
                await node.Handoff.DeliverOnceAsync(None);
            }

            foreach (var node in cluster.Nodes)
            {
                await node.AntiEntropy.RunRoundAsync(None);
            }
        }

        Assert.True(cluster.Nodes.Sum(n => n.Metrics.KeysRepaired) > 0, $"seed {cluster.Seed}");
        foreach (var (key, value) in acknowledged)
        {
            var get = await cluster.Nodes[0].Coordinator.GetAsync(Key(key), null, None);
            Assert.True(get.Siblings.Any(s => Text(s) == value), $"seed {cluster.Seed}: acknowledged {key}={value} lost");
        }
    }

    [Fact]
    public async Task AntiEntropyLeavesAKeyToTheWritePathUntilItsNewestVersionSettled()
    {
        var options = TestClusterExtensions.DefaultOptions();
        options.AntiEntropySettleMs = 5000;
        await using var cluster = await StartAsync(Seed, 3, options);
        var key = Key("settling");
        var preference = await cluster.PreferenceListAsync(key);
        var stale = cluster[preference[2]];
        cluster.Partition([stale.Id], cluster.Nodes.Where(n => n != stale).Select(n => n.Id));
        await cluster[preference[0]].Coordinator.PutAsync(key, Value("v"), null, null, None);
        await cluster.WhenIdleAsync();
        cluster.Heal();

        // Just written: no round compares it yet.
        await cluster[preference[0]].AntiEntropy.RunRoundAsync(None);
        Assert.Empty(await stale.LocalVersionsAsync(key));

        cluster.Time.Advance(TimeSpan.FromMilliseconds(options.AntiEntropySettleMs + 1));
        await cluster[preference[0]].AntiEntropy.RunRoundAsync(None);
        Assert.Equal(["v"], (await stale.LocalVersionsAsync(key)).Select(Text));
    }

    [Fact]
    public async Task AntiEntropyDoesNotRepairAKeyWhoseNewerVersionIsStillInFlight()
    {
        // The stale replica holds a settled "old"; the other two hold a "new" younger than the settle time. Neither
        // side's round may repair it: the write path is carrying it (here: a partition that healed in between).
        var options = TestClusterExtensions.DefaultOptions();
        options.AntiEntropySettleMs = 5000;
        await using var cluster = await StartAsync(Seed, 3, options);
        var key = Key("in-flight");
        var preference = await cluster.PreferenceListAsync(key);
        var writer = cluster[preference[0]];
        var stale = cluster[preference[2]];
        var first = await writer.Coordinator.PutAsync(key, Value("old"), null, null, None);
        await cluster.WhenIdleAsync();
        cluster.Time.Advance(TimeSpan.FromMilliseconds(options.AntiEntropySettleMs + 1));
        cluster.Partition([stale.Id], cluster.Nodes.Where(n => n != stale).Select(n => n.Id));
        await writer.Coordinator.PutAsync(key, Value("new"), first.Context, null, None);
        await cluster.WhenIdleAsync();
        cluster.Heal();

        await stale.AntiEntropy.RunRoundAsync(None);
        await writer.AntiEntropy.RunRoundAsync(None);
        Assert.Equal(["old"], (await stale.LocalVersionsAsync(key)).Select(Text));
        Assert.Equal(0, stale.Metrics.KeysRepaired + writer.Metrics.KeysRepaired);

        cluster.Time.Advance(TimeSpan.FromMilliseconds(options.AntiEntropySettleMs + 1));
        await stale.AntiEntropy.RunRoundAsync(None);
        Assert.Equal(["new"], (await stale.LocalVersionsAsync(key)).Select(Text));
    }

    [Fact]
    public async Task DeletedKeysStayDeletedAfterAntiEntropyWithAReplicaThatMissedTheDelete()
    {
        await using var cluster = await StartAsync(Seed, 3);
        var key = Key("gone");
        var preference = await cluster.PreferenceListAsync(key);
        var coordinator = cluster[preference[0]];
        var missed = cluster[preference[2]];
        await coordinator.Coordinator.PutAsync(key, Value("secret"), null, null, None);
        await cluster.WhenIdleAsync();

        cluster.Partition([missed.Id], cluster.Nodes.Where(n => n != missed).Select(n => n.Id));
        var delete = await coordinator.Coordinator.DeleteAsync(key, null, null, None);
        await cluster.WhenIdleAsync();
        cluster.Heal();
        Assert.Equal(2, delete.Acks);
        Assert.Equal(["secret"], (await missed.LocalVersionsAsync(key)).Select(Text));

        foreach (var node in cluster.Nodes)
        {
            await node.AntiEntropy.RunRoundAsync(None);
        }

        foreach (var node in cluster.Nodes)
        {
            var versions = await node.LocalVersionsAsync(key);
            Assert.True(versions.Count == 1 && versions[0].Tombstone, $"seed {cluster.Seed}: {node} holds {versions.Count} versions");
        }

        var get = await missed.Coordinator.GetAsync(key, new QuorumOverrides(R: 3), None);
        Assert.False(get.Found);
        Assert.Empty(get.Siblings);
    }

    [Fact]
    public async Task TombstonesAreCollectedOnlyOnceEveryReplicaHasThemAndTheGracePeriodPassed()
    {
        await using var cluster = await StartAsync(Seed, 3);
        var key = Key("reap");
        var preference = await cluster.PreferenceListAsync(key);
        var first = cluster[preference[0]];
        await first.Coordinator.PutAsync(key, Value("x"), null, null, None);
        await cluster.WhenIdleAsync();
        var lagging = cluster[preference[2]];
        cluster.Partition([lagging.Id], cluster.Nodes.Where(n => n != lagging).Select(n => n.Id));
        await first.Coordinator.DeleteAsync(key, null, null, None);
        await cluster.WhenIdleAsync();
        cluster.Heal();

        Assert.Equal(0, await first.AntiEntropy.CollectTombstonesAsync(None)); // grace not passed
        cluster.Time.Advance(TimeSpan.FromMilliseconds(TestClusterExtensions.DefaultOptions().TombstoneGraceMs + 1));
        Assert.Equal(0, await first.AntiEntropy.CollectTombstonesAsync(None)); // the lagging replica still has the value

        await first.AntiEntropy.SynchronizeAsync(lagging.Peer, None);
        Assert.Equal(1, await first.AntiEntropy.CollectTombstonesAsync(None));

        foreach (var node in cluster.Nodes)
        {
            Assert.Empty(await node.LocalVersionsAsync(key));
        }

        Assert.False((await lagging.Coordinator.GetAsync(key, new QuorumOverrides(R: 3), None)).Found);
    }

    [Fact]
    public async Task PerRequestOverridesChangeTheQuorumAndAreValidatedLikeTheConfiguration()
    {
        await using var cluster = await StartAsync(Seed, 3);
        var key = Key("override");
        var preference = await cluster.PreferenceListAsync(key);
        var coordinator = cluster[preference[0]];
        await cluster.KillAsync(preference[1]);
        await cluster.KillAsync(preference[2]);

        var put = await coordinator.Coordinator.PutAsync(key, Value("alone"), null, new QuorumOverrides(W: 1), None);
        var get = await coordinator.Coordinator.GetAsync(key, new QuorumOverrides(R: 1), None);
        var invalid = await Assert.ThrowsAsync<QuorumValidationException>(() => coordinator.Coordinator.GetAsync(key, new QuorumOverrides(N: 3, R: 4), None));
        var zero = await Assert.ThrowsAsync<QuorumValidationException>(() => coordinator.Coordinator.PutAsync(key, Value("x"), null, new QuorumOverrides(W: 0), None));

        Assert.Equal(1, put.Acks);
        Assert.Equal(["alone"], get.Siblings.Select(Text));
        Assert.Contains("quorum.R must not exceed N (3); got 4", invalid.Message, StringComparison.Ordinal);
        Assert.Contains("quorum.W must be at least 1; got 0", zero.Message, StringComparison.Ordinal);
    }
}

public sealed class InMemoryReplicationScenarios : ReplicationScenarios
{
    internal override Task<ITestCluster> StartAsync(int seed, int nodes, ReplicationOptions? options = null) =>
        Task.FromResult<ITestCluster>(new InMemoryTestCluster(seed, nodes, options));
}

/// <summary>The scenarios over the network: replica writes and reads over replica links, as nodes send them by default.</summary>
public sealed class GrpcReplicationScenarios : ReplicationScenarios
{
    internal override async Task<ITestCluster> StartAsync(int seed, int nodes, ReplicationOptions? options = null) =>
        await GrpcTestCluster.StartAsync(seed, nodes, options);
}

/// <summary>The scenarios with replica writes and reads over <c>Replica.Stream</c> calls (<c>ReplicaLinks = false</c>).</summary>
public sealed class GrpcStreamReplicationScenarios : ReplicationScenarios
{
    internal override async Task<ITestCluster> StartAsync(int seed, int nodes, ReplicationOptions? options = null) =>
        await GrpcTestCluster.StartAsync(seed, nodes, options, replicaLinks: false);
}
