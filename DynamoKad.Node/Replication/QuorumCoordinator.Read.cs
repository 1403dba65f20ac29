using System.Collections.Concurrent;
using DynamoKad.Kademlia;
using DynamoKad.Telemetry;

namespace DynamoKad.Replication;

public sealed partial class QuorumCoordinator
{
    /// <summary>
    /// Reads from the N preferred replicas (a failed one replaced by the next fallback, which may hold a
    /// hinted copy), answers at R with the reconciled siblings, and repairs stale replicas in the background.
    /// </summary>
    /// <exception cref="QuorumValidationException">The overrides make no sense.</exception>
    /// <exception cref="QuorumNotReachedException">Fewer than R replicas answered.</exception>
    public Task<GetResult> GetAsync(ReadOnlyMemory<byte> key, QuorumOverrides? overrides, CancellationToken cancellationToken) =>
        MeasureAsync("get", () => GetCoreAsync(key, overrides, cancellationToken));

    private async Task<GetResult> GetCoreAsync(ReadOnlyMemory<byte> key, QuorumOverrides? overrides, CancellationToken cancellationToken)
    {
        var quorum = QuorumSettings.Resolve(options.Value, overrides);
        var keyBytes = ValidateKey(key);
        using var activity = ReplicationTelemetry.StartRequest("kv.get", quorum, keyBytes);
        var (preferred, fallbacks) = await PlaceAsync(keyBytes, quorum.N, cancellationToken);
        var answers = new ConcurrentQueue<(ReplicaPeer Peer, bool Preferred, IReadOnlyList<VersionedValue> Versions)>();
        var quorumReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task ReadAsync(ReplicaPeer owner)
        {
            var target = owner;
            while (true)
            {
                try
                {
                    var versions = await CallAsync("replica.read", target, target != owner, token => target.Id == Self
                        ? local.ReadAsync(keyBytes, token)
                        : network.ReadAsync(target, keyBytes, ReplicaTimeout, token));
                    answers.Enqueue((target, target == owner, versions));
                    if (answers.Count >= quorum.R)
                    {
                        quorumReached.TrySetResult();
                    }

                    return;
                }
                catch (ReplicaUnavailableException)
                {
                    lock (fallbacks)
                    {
                        if (!fallbacks.TryDequeue(out target!))
                        {
                            return;
                        }
                    }
                }
            }
        }

        var all = Task.WhenAll(preferred.Select(ReadAsync));
        _ = all.ContinueWith(
            _ => quorumReached.TrySetException(new QuorumNotReachedException("read", quorum.R, answers.Count, quorum.N)),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        try
        {
            await quorumReached.Task.WaitAsync(cancellationToken);
        }
        catch (QuorumNotReachedException)
        {
            ReplicationTelemetry.Outcome(activity, "quorum_not_reached");
            throw;
        }

        ReplicationTelemetry.Outcome(activity, "ok");
        var seen = answers.ToArray();
        var merged = Siblings.Reconcile(seen.SelectMany(a => a.Versions));
        var anyStale = seen.Any(a => !SameVersions(a.Versions, merged));
        var repair = options.Value.ReadRepair && (anyStale || !all.IsCompleted);
        if (repair)
        {
            TrackBackground(RepairAsync(keyBytes, all, answers, activity?.Context ?? default));
        }

        var live = merged.Where(v => !v.Tombstone).ToList();
        activity?.SetTag("dynamokad.replicas_answered", seen.Length);
        activity?.SetTag("dynamokad.siblings", live.Count);
        DynamoKadMetrics.SiblingsPerRead.Record(live.Count);
        return new GetResult(
            live.Count > 0,
            live,
            contexts.Encode(Siblings.MergedClock(merged)),
            [.. seen.Select(a => a.Peer.Id)],
            repair);
    }

    /// <summary>
    /// Read repair (Dynamo §5): once every replica has answered or timed out, each preferred replica that
    /// answered without some reconciled version gets it. Merging on the replica makes this safe to race
    /// with new writes. A trace of its own (<c>kv.read_repair</c>), linked to the read that found the difference.
    /// </summary>
    private async Task RepairAsync(
        byte[] key,
        Task allAnswered,
        ConcurrentQueue<(ReplicaPeer Peer, bool Preferred, IReadOnlyList<VersionedValue> Versions)> answers,
        System.Diagnostics.ActivityContext cause)
    {
        await allAnswered;
        using var activity = DynamoKadTelemetry.StartLinkedRoot("kv.read_repair", cause);
        var final = answers.ToArray();
        var merged = Siblings.Reconcile(final.SelectMany(a => a.Versions));
        var repaired = 0;
        foreach (var (peer, isPreferred, versions) in final)
        {
            // A fallback that answered in an owner's place is not a replica of the key: repairing it would strand data.
            if (!isPreferred || SameVersions(versions, merged))
            {
                continue;
            }

            var missing = merged.Where(m => !versions.Any(v => v.Clock.SameDot(m.Clock))).ToList();
            try
            {
                foreach (var version in missing)
                {
                    await CallAsync("replica.write", peer, false, async token =>
                    {
                        if (peer.Id == Self)
                        {
                            await local.WriteAsync(key, version, null, token);
                        }
                        else
                        {
                            await network.WriteAsync(peer, key, version, null, ReplicaTimeout, token);
                        }

                        return true;
                    });
                }

                repaired++;
            }
            catch (ReplicaUnavailableException)
            {
                // Anti-entropy will get there.
            }
        }

        activity?.SetTag("dynamokad.replicas_repaired", repaired);
        if (repaired > 0)
        {
            metrics.ReadRepaired(repaired);
        }
    }

    private static bool SameVersions(IReadOnlyList<VersionedValue> versions, IReadOnlyList<VersionedValue> merged) =>
        versions.Count == merged.Count && merged.All(m => versions.Any(v => v.Clock.SameDot(m.Clock)));

    /// <summary>The ids of the preferred replicas of <paramref name="key"/> under N (for tests and the dashboard).</summary>
    public async Task<IReadOnlyList<NodeId>> GetPreferenceListAsync(ReadOnlyMemory<byte> key, int n, CancellationToken cancellationToken)
    {
        var candidates = await placement.GetPreferenceCandidatesAsync(NodeId.ForKey(key.Span), n, cancellationToken);
        return [.. candidates.Select(c => c.Id)];
    }
}
