using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

public sealed partial class AntiEntropy
{
    /// <summary>
    /// Tombstone collection. For each key whose every version here is a tombstone older than
    /// <see cref="ReplicationOptions.TombstoneGraceMs"/>, the closest live preferred replica (so one node, not N,
    /// does the work) reads the key from all N preferred replicas; only if every one answers with exactly
    /// the same tombstones does it ask each to reap them. A replica reaps only tombstones the reap's clock
    /// covers, so a write that raced the collection survives. The grace period covers the window in which a
    /// stale copy (a late hint, a node that was down) could still bring the deleted value back.
    /// <para>
    /// The candidates come from the index (keys holding only tombstones, old enough, closest to this node under
    /// placement's view); only they are read from storage, and each is checked again on what storage holds.
    /// </para>
    /// </summary>
    public async Task<int> CollectTombstonesAsync(CancellationToken cancellationToken)
    {
        var grace = options.Value.TombstoneGraceMs;
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        await local.WhenIndexedAsync(cancellationToken);
        var indexed = local.Index.GetCollectableTombstones(nowMs - grace);
        var candidates = new List<(byte[] Key, IReadOnlyList<VersionedValue> Versions)>();
        foreach (var record in await local.ReadRecordsAsync(indexed, cancellationToken))
        {
            var versions = record.Versions.Select(VersionedValue.FromStored).ToList();
            if (versions.TrueForAll(v => v.Tombstone && nowMs - v.Clock.Dot.TimestampMs >= grace))
            {
                candidates.Add((record.Key, versions));
            }
        }

        var reaped = 0;
        foreach (var (key, versions) in candidates)
        {
            var preferred = await placement.GetPreferenceCandidatesAsync(NodeId.ForKey(key), options.Value.N, cancellationToken);
            if (preferred.Count == 0 || preferred[0].Id != placement.Self)
            {
                continue;
            }

            if (await EveryReplicaHoldsAsync(key, versions, preferred, cancellationToken))
            {
                var clock = Siblings.MergedClock(versions);
                var all = true;
                foreach (var peer in preferred)
                {
                    try
                    {
                        if (peer.Id == placement.Self)
                        {
                            await local.ReapAsync(key, clock, cancellationToken);
                        }
                        else
                        {
                            using var deadline = Deadline(cancellationToken);
                            await network.ReapAsync(peer, key, clock, Timeout, deadline.Token);
                        }
                    }
                    catch (Exception ex) when (ex is ReplicaUnavailableException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                    {
                        // The replicas still holding the tombstone keep it; a later round tries again.
                        all = false;
                    }
                }

                if (all)
                {
                    metrics.TombstoneReaped();
                    reaped++;
                }
            }
        }

        return reaped;
    }

    private async Task<bool> EveryReplicaHoldsAsync(byte[] key, IReadOnlyList<VersionedValue> versions, IReadOnlyList<ReplicaPeer> preferred, CancellationToken cancellationToken)
    {
        var digest = Siblings.Digest(versions);
        if (preferred.Count < options.Value.N || !IsPreferred(preferred, placement.Self))
        {
            return false;
        }

        foreach (var peer in preferred.Where(p => p.Id != placement.Self))
        {
            try
            {
                using var deadline = Deadline(cancellationToken);
                var theirs = await network.ReadAsync(peer, key, Timeout, deadline.Token);
                if (!Siblings.Digest(theirs).AsSpan().SequenceEqual(digest))
                {
                    return false;
                }
            }
            catch (Exception ex) when (ex is ReplicaUnavailableException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return false;
            }
        }

        return true;
    }
}
