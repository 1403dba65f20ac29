using DynamoKad.Kademlia;
using Microsoft.Extensions.Time.Testing;

namespace DynamoKad.Tests.Kademlia;

public sealed class RoutingTableTests
{
    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void EveryContactSitsInTheBucketOfItsXorDistance()
    {
        var random = new Random(11);
        var self = NodeId.Random(random);
        var table = new RoutingTable(self, 8, _time, StaleAfter);
        for (var i = 0; i < 2000; i++)
        {
            table.Observe(Contact(NodeId.Random(random), i));
        }

        var snapshot = table.Snapshot();
        Assert.NotEmpty(snapshot.Buckets);
        foreach (var bucket in snapshot.Buckets)
        {
            Assert.InRange(bucket.Contacts.Count, 1, 8);
            foreach (var entry in bucket.Contacts)
            {
                // Bucket i holds distances in [2^i, 2^(i+1)): the highest set bit of the distance is i.
                var distance = entry.Contact.Id ^ self;
                Assert.Equal(bucket.Index, NodeId.BitLength - 1 - distance.LeadingZeroCount());
            }
        }

        Assert.Equal(snapshot.ContactCount, table.Count);
    }

    [Fact]
    public void ContactsAreOrderedLeastRecentlySeenFirstAndReobservingMovesToTheTail()
    {
        var bucket = new KBucket(159, 4, 2);
        var contacts = Enumerable.Range(0, 3).Select(i => Contact(NodeId.Zero.FlipBit(0).FlipBit(100 + i), i)).ToArray();
        foreach (var c in contacts)
        {
            Assert.Null(bucket.Observe(c, Tick(), StaleAfter));
        }

        Assert.Equal(contacts, bucket.Contacts);
        bucket.Observe(contacts[0], Tick(), StaleAfter);
        Assert.Equal([contacts[1], contacts[2], contacts[0]], bucket.Contacts);
    }

    [Fact]
    public void FullBucketKeepsTheOldContactWhenItAnswersThePing()
    {
        var (bucket, members) = FullBucket();
        _time.Advance(StaleAfter);
        var newcomer = Contact(Id159(50), 50);

        var probe = bucket.Observe(newcomer, _time.GetUtcNow(), StaleAfter);

        Assert.Equal(members[0], probe);
        Assert.False(bucket.Contains(newcomer.Id));
        Assert.Equal([newcomer], bucket.Replacements);
        bucket.CompleteProbe(members[0], answered: true, _time.GetUtcNow());
        Assert.True(bucket.Contains(members[0].Id));
        Assert.False(bucket.Contains(newcomer.Id));
        Assert.Equal(members[0], bucket.Contacts.Last());
    }

    [Fact]
    public void FullBucketEvictsTheOldContactOnlyAfterItFailsThePing()
    {
        var (bucket, members) = FullBucket();
        _time.Advance(StaleAfter);
        var newcomer = Contact(Id159(50), 50);

        var probe = bucket.Observe(newcomer, _time.GetUtcNow(), StaleAfter);
        Assert.True(bucket.Contains(members[0].Id), "evicted before the ping completed");

        bucket.CompleteProbe(probe!.Value, answered: false, _time.GetUtcNow());
        Assert.False(bucket.Contains(members[0].Id));
        Assert.True(bucket.Contains(newcomer.Id));
        Assert.Equal(bucket.Capacity, bucket.Count);
        Assert.Empty(bucket.Replacements);
    }

    [Fact]
    public void AContactHeardFromWhileItsPingWasOutIsNotEvicted()
    {
        var (bucket, members) = FullBucket();
        _time.Advance(StaleAfter);
        var probe = bucket.Observe(Contact(Id159(50), 50), _time.GetUtcNow(), StaleAfter);

        bucket.Observe(members[0], Tick(), StaleAfter);
        bucket.CompleteProbe(probe!.Value, answered: false, _time.GetUtcNow());

        Assert.True(bucket.Contains(members[0].Id));
        Assert.False(bucket.Contains(Id159(50)));
    }

    [Fact]
    public void FullBucketDoesNotPingAContactHeardFromRecentlyOrTwiceAtOnce()
    {
        var (bucket, _) = FullBucket();
        Assert.Null(bucket.Observe(Contact(Id159(50), 50), _time.GetUtcNow(), StaleAfter));

        _time.Advance(StaleAfter);
        Assert.NotNull(bucket.Observe(Contact(Id159(51), 51), _time.GetUtcNow(), StaleAfter));
        Assert.Null(bucket.Observe(Contact(Id159(52), 52), _time.GetUtcNow(), StaleAfter));
    }

    [Fact]
    public void ReplacementCacheIsBoundedAndTheNewestIsPromotedWhenAContactFails()
    {
        var (bucket, members) = FullBucket(replacements: 2);
        var newcomers = Enumerable.Range(50, 3).Select(i => Contact(Id159(i), i)).ToArray();
        foreach (var n in newcomers)
        {
            bucket.Observe(n, Tick(), StaleAfter);
        }

        Assert.Equal([newcomers[1], newcomers[2]], bucket.Replacements);
        Assert.True(bucket.Remove(members[2].Id));
        Assert.True(bucket.Contains(newcomers[2].Id));
        Assert.Equal([newcomers[1]], bucket.Replacements);
    }

    [Fact]
    public void MarkFailedRemovesTheContactUntilItIsHeardFromAgain()
    {
        var random = new Random(5);
        var table = new RoutingTable(NodeId.Random(random), 20, _time, StaleAfter);
        var peer = Contact(NodeId.Random(random), 1);
        table.Observe(peer);

        Assert.True(table.MarkFailed(peer.Id));
        Assert.False(table.Contains(peer.Id));
        Assert.Equal(0, table.Count);
        table.Observe(peer);
        Assert.True(table.Contains(peer.Id));
    }

    [Fact]
    public void AFailedRpcDoesNotRemoveAContactHeardFromAfterItWasSent()
    {
        var random = new Random(6);
        var table = new RoutingTable(NodeId.Random(random), 20, _time, StaleAfter);
        var peer = Contact(NodeId.Random(random), 1);
        table.Observe(peer);
        var askedAt = _time.GetUtcNow();

        // The peer calls this node (it was starting up, or joining through it) while this node's call to it is out.
        _time.Advance(TimeSpan.FromSeconds(1));
        table.Observe(peer);

        Assert.False(table.MarkFailed(peer.Id, askedAt));
        Assert.True(table.Contains(peer.Id));
        Assert.True(table.MarkFailed(peer.Id, _time.GetUtcNow()));
        Assert.False(table.Contains(peer.Id));
    }

    [Fact]
    public void ClosestMatchesABruteForceSortAndNeverIncludesSelfOrTheExcludedId()
    {
        var random = new Random(23);
        var self = NodeId.Random(random);
        var table = new RoutingTable(self, 6, _time, StaleAfter);
        var all = new List<Contact>();
        for (var i = 0; i < 3000; i++)
        {
            var c = Contact(NodeId.Random(random), i);
            table.Observe(c);
            all.Add(c);
        }

        var inTable = all.Where(c => table.Contains(c.Id)).ToList();
        for (var t = 0; t < 200; t++)
        {
            // Targets both random and near self, where the bucket walk order matters most.
            var target = t % 2 == 0 ? NodeId.Random(random) : self.FlipBit(150 + (t % 10));
            var count = 1 + (t % 25);
            var exclude = inTable[t % inTable.Count].Id;
            var expected = inTable.Where(c => c.Id != exclude).OrderBy(c => c.Id ^ target).Take(count).ToList();
            Assert.Equal(expected, table.Closest(target, count, exclude));
        }

        Assert.DoesNotContain(table.Closest(self, 1000), c => c.Id == self);
    }

    [Fact]
    public void RandomIdInBucketFallsInThatBucket()
    {
        var random = new Random(3);
        var self = NodeId.Random(random);
        for (var index = 0; index < NodeId.BitLength; index++)
        {
            Assert.Equal(index, self.BucketIndexOf(RoutingTable.RandomIdInBucket(self, index, random)));
        }
    }

    [Fact]
    public void BucketsLookedUpRecentlyAreNotDueForRefresh()
    {
        var random = new Random(9);
        var self = NodeId.Random(random);
        var table = new RoutingTable(self, 20, _time, StaleAfter);
        table.Observe(Contact(self.FlipBit(10), 1)); // bucket 149
        Assert.Equal(Enumerable.Range(149, 11), table.BucketsToRefresh(TimeSpan.FromHours(1)));

        table.TouchBucketFor(self.FlipBit(0));
        Assert.DoesNotContain(159, table.BucketsToRefresh(TimeSpan.FromHours(1)));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Contains(159, table.BucketsToRefresh(TimeSpan.FromHours(1)));
    }

    private (KBucket Bucket, Contact[] Members) FullBucket(int replacements = 4)
    {
        var bucket = new KBucket(159, 3, replacements);
        var members = Enumerable.Range(0, 3).Select(i => Contact(Id159(i), i)).ToArray();
        foreach (var m in members)
        {
            bucket.Observe(m, _time.GetUtcNow(), StaleAfter);
        }

        return (bucket, members);
    }

    private DateTimeOffset Tick()
    {
        _time.Advance(TimeSpan.FromMilliseconds(1));
        return _time.GetUtcNow();
    }

    // Ids in bucket 159 of the zero id: the top bit set.
    private static NodeId Id159(int i) => NodeId.Zero.FlipBit(0).FlipBit(159 - (i % 150));

    private static Contact Contact(NodeId id, int i) => new(id, $"sim://{i}");
}
