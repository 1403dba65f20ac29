using DynamoKad.Hosting;
using DynamoKad.Kademlia;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DynamoKad.Tests.Kademlia;

/// <summary>One node's engine on the in-memory network, time driven by a fake clock.</summary>
public sealed class KademliaNodeTests
{
    private const int Seed = 1234;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly InMemoryKademliaNetwork _network = new(Seed);
    private readonly Random _random = new(Seed);
    private readonly KademliaOptions _options = new() { K = 5, Alpha = 2 };

    [Fact]
    public async Task StoredRecordIsFoundFromAnotherNodeUntilItExpires()
    {
        var nodes = await JoinAsync(30);
        var key = NodeId.ForKey("cluster/config"u8);

        var (lookup, stored) = await nodes[3].StoreValueAsync(key, [1, 2, 3], TimeSpan.FromMinutes(10), CancellationToken.None);
        var found = await nodes[17].FindValueAsync(key, CancellationToken.None);

        Assert.Equal(_options.K, stored);
        Assert.Equal(lookup.Closest.Count, stored);
        Assert.Equal([1, 2, 3], found.Value);

        _time.Advance(TimeSpan.FromMinutes(10));
        var expired = await nodes[17].FindValueAsync(key, CancellationToken.None);
        Assert.Null(expired.Value);
        Assert.NotEmpty(expired.Closest);
    }

    [Fact]
    public async Task RepublishPutsRecordsBackOnTheNodesNowClosest()
    {
        var nodes = await JoinAsync(20);
        var key = NodeId.ForKey("k"u8);
        var (lookup, _) = await nodes[0].StoreValueAsync(key, [9], TimeSpan.FromHours(2), CancellationToken.None);

        // The holders lose the record (as after a restart); the publisher's republish restores it.
        var holders = nodes.Where(n => lookup.Closest.Any(c => c.Id == n.Self.Id) && n != nodes[0]).ToList();
        Assert.NotEmpty(holders);
        foreach (var holder in holders)
        {
            holder.Records.Put(key, [0], TimeSpan.FromTicks(1));
        }

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.All(holders, h => Assert.False(h.Records.TryGet(key, out _, out _)));

        Assert.Equal(1, await nodes[0].RepublishAsync(CancellationToken.None));
        Assert.All(holders, h => Assert.True(h.Records.TryGet(key, out var v, out _) && v.SequenceEqual(new byte[] { 9 })));
    }

    [Fact]
    public async Task UnreachableSeedsAreRetriedWithBackoffAndReportedAsDegraded()
    {
        var node = _network.CreateNode(new Contact(NodeId.Random(_random), "sim://joiner"), _options, _time, _random);
        var cluster = Options.Create(new ClusterOptions { Seeds = ["sim://seed"] });
        var health = new KademliaHealthCheck(node, cluster);

        var bootstrap = node.BootstrapAsync(cluster.Value.Seeds, CancellationToken.None);

        Assert.False(bootstrap.IsCompleted);
        var degraded = await health.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("none of the 1 seed(s) (sim://seed) answered after 1 attempt(s); retrying in 1 s", degraded.Description);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Contains("after 2 attempt(s); retrying in 2 s", node.BootstrapProblem);

        var seed = _network.CreateNode(new Contact(NodeId.Random(_random), "sim://seed"), _options, _time, _random);
        _time.Advance(TimeSpan.FromSeconds(2));
        await bootstrap.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Null(node.BootstrapProblem);
        Assert.True(node.RoutingTable.Contains(seed.Self.Id));
        Assert.True(seed.RoutingTable.Contains(node.Self.Id));
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public async Task ANodeThatIsOneOfItsOwnSeedsDoesNotWaitForTheOthers()
    {
        var node = _network.CreateNode(new Contact(NodeId.Random(_random), "sim://first"), _options, _time, _random);
        var cluster = Options.Create(new ClusterOptions { Seeds = ["sim://first", "sim://not-up-yet"] });

        await node.BootstrapAsync(cluster.Value.Seeds, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(node.IsOwnSeed);
        Assert.Null(node.BootstrapProblem);
        Assert.Equal(HealthStatus.Healthy, (await new KademliaHealthCheck(node, cluster).CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public async Task BucketsUntouchedForTheRefreshIntervalAreRefreshed()
    {
        var nodes = await JoinAsync(40);
        var node = nodes[^1];
        _time.Advance(_options.RefreshInterval);
        Assert.NotEmpty(node.RoutingTable.BucketsToRefresh(_options.RefreshInterval));

        var refreshed = await node.RefreshAsync(CancellationToken.None);

        Assert.True(refreshed > 0);
        Assert.Empty(node.RoutingTable.BucketsToRefresh(_options.RefreshInterval));
    }

    [Fact]
    public async Task AFullBucketEvictsASilentContactOnlyAfterItsPingFails()
    {
        var self = new Contact(NodeId.Zero, "sim://self");
        var options = new KademliaOptions { K = 2, Alpha = 1 };
        var node = _network.CreateNode(self, options, _time, _random);
        var members = Enumerable.Range(1, 3)
            .Select(i => _network.CreateNode(new Contact(NodeId.Zero.FlipBit(0).FlipBit(i), $"sim://m{i}"), options, _time, _random))
            .ToList();

        node.Observe(members[0].Self);
        node.Observe(members[1].Self);
        _time.Advance(options.StaleContactAfter);
        _network.TakeDown(members[0].Self.Address);
        node.Observe(members[2].Self);
        Assert.True(node.RoutingTable.Contains(members[0].Self.Id), "evicted before the ping");

        Assert.Equal(1, await _network.RunBackgroundWorkAsync());

        Assert.False(node.RoutingTable.Contains(members[0].Self.Id));
        Assert.True(node.RoutingTable.Contains(members[2].Self.Id));
    }

    [Fact]
    public async Task ALookupStopsAtItsDeadlineWithTheContactsThatAnswered()
    {
        var nodes = await JoinAsync(60);
        var slowOptions = new KademliaOptions { K = 5, Alpha = 1, RpcTimeoutMs = 1000, LookupDeadlineMs = 2500 };
        // Every RPC of this node takes a second of (fake) time. Knowing one contact, it needs at least
        // k = 5 answers (5 s) to finish, so the 2.5 s deadline must stop it, cutting the RPC in flight.
        var slow = new KademliaNode(
            new Contact(NodeId.Random(_random), "sim://slow"), new SlowNetwork(_network, _time), slowOptions, _time, _random);
        slow.Observe(nodes[0].Self);
        var started = _time.GetUtcNow();

        var result = await slow.LookupWithStatsAsync(NodeId.Random(_random), CancellationToken.None);

        Assert.True(result.TimedOut);
        Assert.InRange(result.Rounds, 1, 3);
        Assert.InRange(_time.GetUtcNow() - started, TimeSpan.FromMilliseconds(2500), TimeSpan.FromMilliseconds(3000));
        Assert.InRange(result.Closest.Count, 1, 3);
        Assert.All(result.Closest.Where(c => c.Id != slow.Self.Id), c => Assert.Contains(nodes, n => n.Self.Id == c.Id));
    }

    private async Task<List<KademliaNode>> JoinAsync(int count)
    {
        var nodes = new List<KademliaNode>();
        for (var i = 0; i < count; i++)
        {
            var node = _network.CreateNode(new Contact(NodeId.Random(_random), $"sim://{i}"), _options, _time, _random);
            if (i > 0)
            {
                Assert.True(await node.JoinAsync([nodes[_random.Next(i)].Self.Address], CancellationToken.None));
            }

            nodes.Add(node);
            await _network.RunBackgroundWorkAsync();
        }

        return nodes;
    }

    private sealed class SlowNetwork(IKademliaNetwork inner, FakeTimeProvider time) : IKademliaNetwork
    {
        public ValueTask<Contact?> PingAsync(Contact sender, string address, CancellationToken cancellationToken)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return inner.PingAsync(sender, address, cancellationToken);
        }

        public ValueTask<IReadOnlyList<Contact>?> FindNodeAsync(Contact sender, Contact recipient, NodeId target, CancellationToken cancellationToken)
        {
            // Half a second to get there, half a second back: the deadline may cancel the call midway.
            time.Advance(TimeSpan.FromMilliseconds(500));
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromResult<IReadOnlyList<Contact>?>(null);
            }

            var answer = inner.FindNodeAsync(sender, recipient, target, cancellationToken);
            time.Advance(TimeSpan.FromMilliseconds(500));
            return cancellationToken.IsCancellationRequested ? ValueTask.FromResult<IReadOnlyList<Contact>?>(null) : answer;
        }

        public ValueTask<bool?> StoreAsync(Contact sender, Contact recipient, NodeId key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken cancellationToken)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return inner.StoreAsync(sender, recipient, key, value, ttl, cancellationToken);
        }

        public ValueTask<FindValueResult?> FindValueAsync(Contact sender, Contact recipient, NodeId key, CancellationToken cancellationToken)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return inner.FindValueAsync(sender, recipient, key, cancellationToken);
        }
    }
}
