using System.Collections.Concurrent;
using DynamoKad.Kademlia;
using DynamoKad.Telemetry;

namespace DynamoKad.Replication;

public sealed partial class QuorumCoordinator
{
    /// <summary>
    /// Reads from R of the N preferred replicas (this node first), asks the others when one fails or after a hedge
    /// delay that follows the measured replica read latency (a failed preferred one is replaced by the next fallback,
    /// which may hold a hinted copy), answers at R with the reconciled siblings, and repairs stale replicas in the
    /// background. Replicas not asked are left to anti-entropy.
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
        var allAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Ask R replicas first (this node first when it is one: no network hop), the other preferred ones only
        // when one of those fails or has not answered after the hedge delay (which follows measured replica latency).
        var order = new List<ReplicaPeer>(preferred.Count);
        order.AddRange(preferred.Where(p => p.Id == Self));
        order.AddRange(preferred.Where(p => p.Id != Self));
        var gate = new Lock();
        var started = 0;
        var outstanding = 1; // the starter's own count, released once the first R reads are started

        // Under the gate: claims the next preferred replica to ask (null when all have been asked).
        ReplicaPeer? TakeNextLocked()
        {
            if (started >= order.Count)
            {
                return null;
            }

            outstanding++;
            return order[started++];
        }

        void Start(IEnumerable<ReplicaPeer> peers)
        {
            foreach (var peer in peers)
            {
                _ = ReadAsync(peer);
            }
        }

        void Finished()
        {
            lock (gate)
            {
                if (--outstanding > 0)
                {
                    return;
                }
            }

            allAnswered.TrySetResult();
            quorumReached.TrySetException(new QuorumNotReachedException("read", quorum.R, answers.Count, quorum.N));
        }

        async Task ReadAsync(ReplicaPeer owner)
        {
            var target = owner;
            try
            {
                while (true)
                {
                    try
                    {
                        var began = time.GetTimestamp();
                        var versions = await CallAsync("replica.read", target, target != owner, token => target.Id == Self
                            ? local.ReadAsync(keyBytes, token)
                            : network.ReadAsync(target, keyBytes, ReplicaTimeout, token));
                        if (target.Id != Self)
                        {
                            _readLatency.Record(time.GetElapsedTime(began));
                        }

                        answers.Enqueue((target, target == owner, versions));
                        if (answers.Count >= quorum.R)
                        {
                            quorumReached.TrySetResult();
                        }

                        return;
                    }
                    catch (ReplicaUnavailableException)
                    {
                        // Another preferred replica before any fallback: it holds the key, a fallback at best a hint.
                        ReplicaPeer? next;
                        lock (gate)
                        {
                            next = TakeNextLocked();
                        }

                        if (next is not null)
                        {
                            _ = ReadAsync(next);
                            return;
                        }

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
            finally
            {
                Finished();
            }
        }

        var first = new List<ReplicaPeer>(quorum.R);
        lock (gate)
        {
            while (first.Count < quorum.R && TakeNextLocked() is { } peer)
            {
                first.Add(peer);
            }
        }

        Start(first);
        Finished();
        if (started < order.Count)
        {
            TrackBackground(HedgeAsync());
        }

        async Task HedgeAsync()
        {
            var fired = await Task.WhenAny(quorumReached.Task, Task.Delay(_readLatency.HedgeDelay(ReplicaTimeout), time)) != quorumReached.Task;
            if (fired && !quorumReached.Task.IsCompleted)
            {
                var rest = new List<ReplicaPeer>();
                lock (gate)
                {
                    // Nothing outstanding means every read already ended: the request has its answer or its failure.
                    while (outstanding > 0 && TakeNextLocked() is { } peer)
                    {
                        rest.Add(peer);
                    }
                }

                Start(rest);
            }
        }

        var all = allAnswered.Task;
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

            try
            {
                // The whole reconciled set, never a part of it (see LocalReplica.WriteAsync); the replica merges.
                await CallAsync("replica.write", peer, false, async token =>
                {
                    if (peer.Id == Self)
                    {
                        await local.WriteAsync(key, merged, null, token);
                    }
                    else
                    {
                        await network.WriteAsync(peer, key, merged, null, ReplicaTimeout, token);
                    }

                    return true;
                });
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
