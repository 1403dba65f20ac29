using System.Text;
using DynamoKad.Kademlia;
using DynamoKad.Replication;
using DynamoKad.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DynamoKad.Tests.Replication;

/// <summary>
/// The anti-entropy index (<see cref="ReplicaIndex"/>): kept current by every write path of <see cref="LocalReplica"/>,
/// always equal to an index built from scratch from the same storage, re-derived from memory when placement changes.
/// </summary>
public sealed class ReplicaIndexTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public async Task AfterRandomOperationsOnEveryWritePathTheIndexEqualsOneBuiltFromStorage(int seed)
    {
        var options = TestClusterExtensions.DefaultOptions();
        options.AntiEntropySettleMs = 20;
        var cluster = new InMemoryTestCluster(seed, nodes: 5, options);
        var random = new Random(seed);
        var counter = 0UL;
        foreach (var node in cluster.Nodes)
        {
            await node.Replica.WhenIndexedAsync(None);
        }

        for (var op = 0; op < 600; op++)
        {
            var node = cluster.Nodes[random.Next(cluster.Nodes.Count)];
            var key = Encoding.UTF8.GetBytes($"k{random.Next(40)}");
            var nowMs = cluster.Time.GetUtcNow().ToUnixTimeMilliseconds();
            var stored = await node.Replica.ReadAsync(key, None);
            VersionedValue Next(bool supersede) => new(
                new VersionClock(new ClockEntry(cluster.Nodes[random.Next(cluster.Nodes.Count)].Id, ++counter, nowMs - random.Next(40)),
                    supersede ? Siblings.MergedClock(stored) : VectorClock.Empty),
                [(byte)op],
                random.Next(4) == 0);

            switch (random.Next(7))
            {
                case 0:
                    await node.Replica.MergeAsync(key, [Next(random.Next(2) == 0)], None);
                    break;
                case 1:
                    var owner = cluster.Nodes[random.Next(cluster.Nodes.Count)].Id;
                    await node.Replica.WriteAsync(key, [Next(supersede: true)], random.Next(2) == 0 ? owner : null, None);
                    break;
                case 2:
                    await node.Replica.WriteNewVersionAsync(HashedKey.Of(key), current => Next(random.Next(3) > 0), (_, _) => { }, None);
                    break;
                case 3:
                    // Dropped only if unchanged: half the time with what is stored, half with a stale expectation.
                    var expected = random.Next(2) == 0 ? await node.Storage.ReadAsync(key) : [];
                    await node.Replica.DropIfUnchangedAsync(key, expected, None);
                    break;
                case 4:
                    await node.Replica.ReapAsync(key, Siblings.MergedClock(stored), None);
                    break;
                case 5:
                    await node.Replica.SyncKeysAsync([new KeyVersions(key, random.Next(3) == 0 ? [] : [Next(random.Next(2) == 0)])], None);
                    break;
                default:
                    cluster.Time.Advance(TimeSpan.FromMilliseconds(random.Next(30)));
                    break;
            }
        }

        var keys = 0;
        foreach (var node in cluster.Nodes)
        {
            keys += await AssertSameAsRebuiltAsync(node.Replica.Index, node.Storage, node.Placement, options, cluster.Time, $"seed {seed}, node {node}");
        }

        Assert.True(keys > 40, $"seed {seed}: only {keys} keys held across the cluster");
    }

    [Fact]
    public async Task AKeyJoinsThePeerTreesOnlyOnceItsNewestVersionSettled()
    {
        var options = TestClusterExtensions.DefaultOptions();
        options.AntiEntropySettleMs = 5000;
        var cluster = new InMemoryTestCluster(seed: 21, nodes: 3, options);
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var nowMs = cluster.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var settled = new VersionedValue(new VersionClock(new ClockEntry(a.Id, 1, nowMs - 6000), VectorClock.Empty), [1], false);
        var young = new VersionedValue(new VersionClock(new ClockEntry(a.Id, 2, nowMs), VectorClock.Empty), [2], false);

        await a.Replica.MergeAsync("old"u8.ToArray(), [settled], None);
        await a.Replica.MergeAsync("new"u8.ToArray(), [young], None);
        Assert.Equal(1, (await a.Replica.GetTreeAsync(b.Id, None)).KeyCount);
        Assert.Equal(2, a.Replica.Index.GetKeys().Count);

        cluster.Time.Advance(TimeSpan.FromMilliseconds(5001));
        Assert.Equal(2, (await a.Replica.GetTreeAsync(b.Id, None)).KeyCount);

        // Written again: out until the new dot settles.
        var newer = new VersionedValue(new VersionClock(new ClockEntry(a.Id, 3, cluster.Time.GetUtcNow().ToUnixTimeMilliseconds()), young.Clock.ToVectorClock()), [3], false);
        await a.Replica.MergeAsync("new"u8.ToArray(), [newer], None);
        Assert.Equal(1, (await a.Replica.GetTreeAsync(b.Id, None)).KeyCount);
        cluster.Time.Advance(TimeSpan.FromMilliseconds(5001));
        await AssertSameAsRebuiltAsync(a.Replica.Index, a.Storage, a.Placement, options, cluster.Time, "settle");
        Assert.Equal(2, (await a.Replica.GetTreeAsync(b.Id, None)).KeyCount);
    }

    [Fact]
    public async Task AMembershipChangeRederivesTreesPartnersAndStraysFromMemoryWithoutAScan()
    {
        var options = TestClusterExtensions.DefaultOptions();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var members = TestClusterExtensions.NodeIds(31, 5).Select((id, i) => new ReplicaPeer(id, $"mem://node{i}")).ToList();
        var placement = new MovablePlacement(members[0].Id, members.Take(3));
        var storage = new CountingStorage();
        var replica = new LocalReplica(storage, placement, Options.Create(options), time);
        for (var i = 0; i < 300; i++)
        {
            var version = new VersionedValue(new VersionClock(new ClockEntry(members[0].Id, (ulong)i + 1, 0), VectorClock.Empty), [1], false);
            await replica.MergeAsync(Encoding.UTF8.GetBytes($"key-{i}"), [version], None);
        }

        // Three members, N = 3: every key is shared with both others, none is a stray.
        Assert.Equal(new[] { members[1].Id, members[2].Id }.Order(), (await replica.GetReplicaPartnersAsync(None)).Select(p => p.Id));
        Assert.Equal(300, (await replica.GetTreeAsync(members[1].Id, None)).KeyCount);
        Assert.Empty(replica.Index.GetStrays(1000));
        var scans = storage.Scans;

        placement.Move(members);
        var partners = (await replica.GetReplicaPartnersAsync(None)).Select(p => p.Id).ToList();
        var strays = replica.Index.GetStrays(1000);

        Assert.Equal(scans, storage.Scans);
        Assert.Contains(members[3].Id, partners);
        Assert.Contains(members[4].Id, partners);
        Assert.NotEmpty(strays);
        Assert.InRange((await replica.GetTreeAsync(members[1].Id, None)).KeyCount, 1, 299);
        Assert.Equal(scans, storage.Scans);
        await AssertSameAsRebuiltAsync(replica.Index, storage, placement, options, time, "after the move");
    }

    [Fact]
    public async Task KeysRemovedOrChangedWhileTheStartUpScanRunsAreIndexedAsTheyAreNowNotAsTheScanReadThem()
    {
        var options = TestClusterExtensions.DefaultOptions();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var members = TestClusterExtensions.NodeIds(41, 3).Select((id, i) => new ReplicaPeer(id, $"mem://node{i}")).ToList();
        var placement = new StaticReplicaPlacement(members[0].Id, members);
        var storage = new CountingStorage();
        VersionedValue Version(ulong counter, VectorClock context) =>
            new(new VersionClock(new ClockEntry(members[0].Id, counter, 0), context), [(byte)counter], false);
        foreach (var (name, counter) in new[] { ("removed", 1UL), ("changed", 2UL), ("kept", 3UL) })
        {
            await storage.ApplyAsync(Encoding.UTF8.GetBytes(name), _ => [Version(counter, VectorClock.Empty).ToStored()]);
        }

        // The scan reads storage first and hands out what it read only once released.
        storage.HoldScans();
        var replica = new LocalReplica(storage, placement, Options.Create(options), time);
        var built = replica.WhenIndexedAsync(None);
        await storage.ScanStarted.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(await replica.DropIfUnchangedAsync("removed"u8.ToArray(), await storage.ReadAsync("removed"u8.ToArray()), None));
        await replica.MergeAsync("changed"u8.ToArray(), [Version(4, VectorClock.From([new ClockEntry(members[0].Id, 2, 0)]))], None);
        await replica.MergeAsync("added"u8.ToArray(), [Version(5, VectorClock.Empty)], None);
        storage.ReleaseScans();
        await built.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(3, replica.Index.GetKeys().Count);
        await AssertSameAsRebuiltAsync(replica.Index, storage, placement, options, time, "after the racing build");
    }

    [Fact]
    public async Task IndexingAChangeOfAStoredKeyAllocatesNothing()
    {
        var options = TestClusterExtensions.DefaultOptions();
        var cluster = new InMemoryTestCluster(seed: 51, nodes: 3, options);
        var index = cluster.Nodes[0].Replica.Index;
        _ = index.GetTree(cluster.Nodes[1].Id); // placed under the view from here on
        var keyHash = new byte[NodeId.ByteLength];
        new Random(51).NextBytes(keyHash);
        IReadOnlyList<StoredVersion>[] sets =
        [
            [new VersionedValue(new VersionClock(new ClockEntry(cluster.Nodes[0].Id, 1, 0), VectorClock.Empty), new byte[100], false).ToStored()],
            [new VersionedValue(new VersionClock(new ClockEntry(cluster.Nodes[1].Id, 2, 0), VectorClock.Empty), new byte[100], true).ToStored()],
        ];
        for (var i = 0; i < 100; i++)
        {
            index.Apply(keyHash, sets[i % 2]);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            index.Apply(keyHash, sets[i % 2]);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>Compares <paramref name="index"/> with one built now from <paramref name="storage"/>; returns the keys it holds.</summary>
    private static async Task<int> AssertSameAsRebuiltAsync(
        ReplicaIndex index, IStorageEngine storage, IReplicaPlacement placement, ReplicationOptions options, TimeProvider time, string because)
    {
        var rebuilt = new ReplicaIndex(storage, placement, options.N, options.AntiEntropySettleMs, time);
        await rebuilt.WhenBuiltAsync(None);

        Assert.True(rebuilt.GetKeys().SequenceEqual(index.GetKeys()), $"{because}: keys differ");
        Assert.Equal(rebuilt.GetPartners(), index.GetPartners());
        Assert.Equal(rebuilt.GetStrays(int.MaxValue).Order(), index.GetStrays(int.MaxValue).Order());
        var collectable = time.GetUtcNow().ToUnixTimeMilliseconds() - options.TombstoneGraceMs;
        Assert.Equal(rebuilt.GetCollectableTombstones(collectable).Order(), index.GetCollectableTombstones(collectable).Order());
        foreach (var member in placement.GetView().Members)
        {
            var (expected, actual) = (rebuilt.GetTree(member.Id), index.GetTree(member.Id));
            Assert.True(expected.KeyCount == actual.KeyCount && expected.Root.AsSpan().SequenceEqual(actual.Root), $"{because}: tree for {member.Id.ToShortString()} differs");
        }

        return index.GetKeys().Count;
    }
}
