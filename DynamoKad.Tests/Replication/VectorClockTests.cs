using DynamoKad.Kademlia;
using DynamoKad.Replication;

namespace DynamoKad.Tests.Replication;

public sealed class VectorClockTests
{
    private static readonly NodeId A = NodeId.Parse(new string('a', 40));
    private static readonly NodeId B = NodeId.Parse(new string('b', 40));
    private static readonly NodeId C = NodeId.Parse(new string('c', 40));

    private static VectorClock Clock(params (NodeId Node, ulong Counter)[] entries) =>
        VectorClock.From(entries.Select((e, i) => new ClockEntry(e.Node, e.Counter, i)));

    [Fact]
    public void CompareTellsBeforeAfterEqualAndConcurrent()
    {
        Assert.Equal(ClockOrder.Equal, Clock((A, 1)).CompareTo(Clock((A, 1))));
        Assert.Equal(ClockOrder.Before, Clock((A, 1)).CompareTo(Clock((A, 2))));
        Assert.Equal(ClockOrder.Before, Clock((A, 1)).CompareTo(Clock((A, 1), (B, 1))));
        Assert.Equal(ClockOrder.After, Clock((A, 2), (B, 1)).CompareTo(Clock((A, 1))));
        Assert.Equal(ClockOrder.Concurrent, Clock((A, 2)).CompareTo(Clock((A, 1), (B, 1))));
        Assert.Equal(ClockOrder.Before, VectorClock.Empty.CompareTo(Clock((C, 1))));
        Assert.Equal(ClockOrder.Equal, VectorClock.Empty.CompareTo(VectorClock.Empty));
    }

    [Fact]
    public void MergeTakesThePairwiseMaximumAndDominatesBothSides()
    {
        var left = Clock((A, 3), (B, 1));
        var right = Clock((B, 4), (C, 2));
        var merged = left.Merge(right);

        Assert.Equal((3UL, 4UL, 2UL), (merged[A], merged[B], merged[C]));
        Assert.Equal(ClockOrder.Before, left.CompareTo(merged));
        Assert.Equal(ClockOrder.Before, right.CompareTo(merged));
    }

    [Fact]
    public void MergeMatchesObservingEveryEntryOfTheOtherClock()
    {
        // The one-pass merge against its definition: the other clock's entries observed one by one, on random
        // clocks over a few nodes, with ties on counters so the timestamp rule is exercised too.
        var random = new Random(20261203);
        NodeId[] nodes = [A, B, C, NodeId.Parse(new string('d', 40)), NodeId.Parse(new string('e', 40))];
        VectorClock RandomClock() => VectorClock.From(nodes
            .Where(_ => random.Next(3) > 0)
            .Select(node => new ClockEntry(node, (ulong)random.Next(1, 4), random.Next(0, 3))));
        for (var round = 0; round < 2_000; round++)
        {
            var left = RandomClock();
            var right = RandomClock();
            var expected = left;
            foreach (var entry in right.Entries)
            {
                expected = expected.Observe(entry);
            }

            var merged = left.Merge(right);
            Assert.Equal(expected, merged);
            Assert.Equal(expected.ToByteArray(), merged.ToByteArray());
        }
    }

    [Fact]
    public void MergeReturnsAClockThatAlreadyCoversTheOtherItself()
    {
        var big = Clock((A, 3), (B, 2));
        var small = Clock((A, 1));

        Assert.Same(big, big.Merge(small));
        Assert.Same(big, small.Merge(big));
        Assert.Same(big, VectorClock.Empty.Merge(big));
        Assert.Same(big, big.Merge(VectorClock.Empty));
        Assert.NotSame(big, big.Merge(Clock((C, 1))));
    }

    [Fact]
    public void IncrementBumpsOnlyTheCoordinatorAndLeavesTheOriginalUnchanged()
    {
        var original = Clock((A, 1));
        var next = original.Increment(B, 99).Increment(B, 100);

        Assert.Equal(2UL, next[B]);
        Assert.Equal(1UL, next[A]);
        Assert.Equal(0UL, original[B]);
        Assert.Equal(ClockOrder.After, next.CompareTo(original));
    }

    [Fact]
    public void EncodingRoundTripsAndRejectsTruncation()
    {
        var clock = Clock((C, 7), (A, 1), (B, ulong.MaxValue));
        var bytes = clock.ToByteArray();

        Assert.Equal(clock, VectorClock.Read(bytes, out var consumed));
        Assert.Equal(bytes.Length, consumed);
        Assert.Throws<FormatException>(() => VectorClock.Read(bytes.AsSpan(0, bytes.Length - 1), out _));
    }

    [Fact]
    public void PruningDropsTheOldestEntriesPastTheLimit()
    {
        var clock = VectorClock.From([new ClockEntry(A, 5, 100), new ClockEntry(B, 1, 300), new ClockEntry(C, 9, 200)]);
        var pruned = clock.Prune(2);

        Assert.Equal(2, pruned.Count);
        Assert.Equal(0UL, pruned[A]); // oldest timestamp
        Assert.Equal((1UL, 9UL), (pruned[B], pruned[C]));
        Assert.Same(clock, clock.Prune(3));
    }

    /// <summary>
    /// Dynamo §4.4 on truncation: pruning can make a version that was superseded look concurrent (an extra
    /// sibling the client resolves again); it cannot make a concurrent version look superseded (a lost write),
    /// because a pruned context only ever covers fewer dots.
    /// </summary>
    [Fact]
    public void PruningCanCauseAFalseSiblingButNeverALostWrite()
    {
        var old = new VersionClock(new ClockEntry(A, 1, 100), VectorClock.Empty);
        var concurrent = new VersionClock(new ClockEntry(C, 1, 150), VectorClock.Empty);
        var fullContext = VectorClock.From([new ClockEntry(A, 1, 100), new ClockEntry(B, 1, 200)]);
        var prunedContext = fullContext.Prune(1); // drops A, the oldest entry
        var overwrite = new VersionClock(new ClockEntry(B, 2, 300), prunedContext);

        // Can: the overwrite had seen `old`, but after pruning it no longer says so: both stay as siblings.
        Assert.Equal(ClockOrder.Before, old.CompareTo(new VersionClock(overwrite.Dot, fullContext)));
        Assert.Equal(ClockOrder.Concurrent, old.CompareTo(overwrite));
        Assert.Equal(2, Siblings.Reconcile([ToVersion(old), ToVersion(overwrite)]).Count);

        // Cannot: a version the writer never saw stays concurrent however much its context is pruned.
        for (var keep = 0; keep <= fullContext.Count; keep++)
        {
            var writer = new VersionClock(new ClockEntry(B, 2, 300), fullContext.Prune(keep));
            Assert.Equal(ClockOrder.Concurrent, concurrent.CompareTo(writer));
            Assert.Contains(Siblings.Reconcile([ToVersion(concurrent), ToVersion(writer)]), v => v.Clock.SameDot(concurrent));
        }
    }

    [Fact]
    public void TwoBlindWritesThroughOneCoordinatorAreConcurrentNotAnOverwrite()
    {
        var first = new VersionClock(new ClockEntry(A, 1, 1), VectorClock.Empty);
        var second = new VersionClock(new ClockEntry(A, 2, 2), VectorClock.Empty);
        var informed = new VersionClock(new ClockEntry(A, 3, 3), first.ToVectorClock().Merge(second.ToVectorClock()));

        Assert.Equal(ClockOrder.Concurrent, first.CompareTo(second));
        Assert.Equal(ClockOrder.After, informed.CompareTo(first));
        Assert.Equal(ClockOrder.Before, second.CompareTo(informed));
        Assert.Equal(ClockOrder.Equal, first.CompareTo(VersionClock.Decode(first.Encode())));
        Assert.Equal(first, VersionClock.Decode(first.Encode()));
    }

    [Fact]
    public void ReconcileDropsDominatedVersionsAndKeepsConcurrentOnesIncludingTombstones()
    {
        var a1 = ToVersion(new VersionClock(new ClockEntry(A, 1, 1), VectorClock.Empty));
        var b1 = ToVersion(new VersionClock(new ClockEntry(B, 1, 1), VectorClock.Empty));
        var deleteA = ToVersion(new VersionClock(new ClockEntry(C, 1, 2), a1.Clock.ToVectorClock()), tombstone: true);

        var result = Siblings.Reconcile([a1, b1, deleteA, a1]);

        Assert.Equal(2, result.Count);
        Assert.Contains(result, v => v.Clock.SameDot(b1.Clock));
        Assert.Contains(result, v => v.Tombstone);
        Assert.Equal(Siblings.Digest([b1, deleteA]), Siblings.Digest([deleteA, b1, a1]));
    }

    [Fact]
    public void AVersionClockIsEncodedOnceAndKeepsTheBytesItWasDecodedFrom()
    {
        var clock = new VersionClock(new ClockEntry(B, 4, 40), Clock((A, 2), (C, 1)));
        var bytes = clock.Encode();

        Assert.Same(bytes, clock.Encode());
        var decoded = VersionClock.Decode(bytes);
        Assert.Same(bytes, decoded.Encode());
        Assert.Equal(clock, decoded);

        // Decoded from a span, the clock encodes afresh, to the same bytes: the encoding is canonical.
        var fromSpan = VersionClock.Decode(bytes.AsSpan());
        Assert.NotSame(bytes, fromSpan.Encode());
        Assert.Equal(bytes, fromSpan.Encode());
    }

    [Fact]
    public void MergingOneStoredVersionWithOneIncomingMatchesReconcile()
    {
        // The replica write's shortcut (Supersedes on the stored bytes) against the definition: decode both, reconcile,
        // store the result, on random pairs with shared and missing nodes, equal dots and counters of 0.
        var random = new Random(20261203);
        NodeId[] nodes = [A, B, C];
        VectorClock RandomContext() => VectorClock.From(nodes
            .Where(_ => random.Next(3) > 0)
            .Select(node => new ClockEntry(node, (ulong)random.Next(0, 4), random.Next(0, 3))));
        VersionClock RandomClock() => new(new ClockEntry(nodes[random.Next(nodes.Length)], (ulong)random.Next(0, 4), random.Next(0, 3)), RandomContext());

        var shortcuts = 0;
        for (var round = 0; round < 5_000; round++)
        {
            var stored = ToVersion(RandomClock()).ToStored();
            var incoming = ToVersion(RandomClock(), tombstone: random.Next(2) == 0);
            var existing = VersionClock.Decode(stored.Clock.AsSpan());

            var expectedSupersedes = !existing.SameDot(incoming.Clock)
                && existing.CompareTo(incoming.Clock) == ClockOrder.Before
                && incoming.Clock.CompareTo(existing) != ClockOrder.Before;
            Assert.Equal(expectedSupersedes, incoming.Clock.Supersedes(stored.Clock));
            shortcuts += expectedSupersedes ? 1 : 0;

            var reconciled = Siblings.Reconcile([new VersionedValue(existing, stored.Value, stored.Tombstone), incoming]);
            var merged = Siblings.MergeStored([stored], [incoming]);
            Assert.Equal(
                reconciled.Select(v => (Convert.ToHexString(v.Clock.Encode()), v.Tombstone)),
                merged.Select(v => (Convert.ToHexString(v.Clock), v.Tombstone)));
        }

        Assert.InRange(shortcuts, 500, 4_500);
    }

    [Fact]
    public void SupersedesRefusesBytesThatAreNotAClock()
    {
        var clock = new VersionClock(new ClockEntry(A, 2, 2), Clock((B, 1)));
        var bytes = new VersionClock(new ClockEntry(B, 1, 1), VectorClock.Empty).Encode();

        Assert.True(clock.Supersedes(bytes));
        Assert.Null(clock.Supersedes(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Null(clock.Supersedes([2, .. bytes.AsSpan(1)]));
        Assert.Null(clock.Supersedes([]));
    }

    private static VersionedValue ToVersion(VersionClock clock, bool tombstone = false) => new(clock, [1, 2, 3], tombstone);
}
