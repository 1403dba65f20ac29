using System.Diagnostics;
using DynamoKad.Kademlia;

namespace DynamoKad.Replication;

public sealed partial class QuorumCoordinator
{
    /// <summary>
    /// Writes <paramref name="value"/> as a new version that supersedes everything <paramref name="context"/>
    /// covers (nothing, for a blind write: it becomes a sibling of what is there).
    /// </summary>
    /// <exception cref="InvalidCausalContextException">The context is not a valid token.</exception>
    /// <exception cref="QuorumValidationException">The overrides make no sense.</exception>
    /// <exception cref="QuorumNotReachedException">Fewer than W replicas acknowledged.</exception>
    public Task<PutResult> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, string? context, QuorumOverrides? overrides, CancellationToken cancellationToken) =>
        MeasureAsync("put", () => PutCoreAsync(key, value, context, overrides, cancellationToken));

    private async Task<PutResult> PutCoreAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, string? context, QuorumOverrides? overrides, CancellationToken cancellationToken)
    {
        var quorum = QuorumSettings.Resolve(options.Value, overrides);
        var keyBytes = ValidateKey(key);
        var clock = contexts.Decode(context);
        using var activity = ReplicationTelemetry.StartRequest("kv.put", quorum, keyBytes);
        var write = await WriteVersionAsync(keyBytes, clock, value.ToArray(), tombstone: false, quorum, "write", cancellationToken);
        activity?.SetTag("dynamokad.replicas_answered", write.Acks);
        return new PutResult(write.Context, write.Acks, write.Version);
    }

    /// <summary>
    /// Makes a new version on this node and replicates it. The dot is issued under the key's lock in local storage
    /// (<see cref="LocalReplica.WriteNewVersionAsync"/>) and the replicas are sent the whole sibling set this node
    /// then holds, not the new version alone: so any replica holding this node's dot n for the key also holds each
    /// earlier dot of this node for the key, or a version that supersedes it, and a read's context (the join of what
    /// it saw) never covers a version the reader did not see (finding R1 in docs/RELIABILITY.md).
    /// The context returned covers the new version only where that is exact: this node is a preferred replica
    /// (it keeps every dot it issued for the key) and the new version is the only one left. Otherwise it is the
    /// context the write was made with, so a later write with it keeps this one as a sibling instead of silently
    /// dropping a concurrent version the client never saw.
    /// </summary>
    private async Task<CoordinatedWrite> WriteVersionAsync(byte[] key, VectorClock context, byte[] value, bool tombstone, QuorumSettings quorum, string operation, CancellationToken cancellationToken)
    {
        var (preferred, fallbacks) = await PlaceAsync(key, quorum.N, cancellationToken);
        var self = preferred.Find(p => p.Id == Self);
        var created = new TaskCompletionSource<(VersionedValue Version, IReadOnlyList<VersionedValue> Siblings)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var localWrite = local.WriteNewVersionAsync(
            key,
            existing => NewVersion(context, existing, value, tombstone),
            (version, siblings) => created.TrySetResult((version, siblings)),
            cancellationToken);
        if (await Task.WhenAny(created.Task, localWrite) == localWrite && !created.Task.IsCompleted)
        {
            await localWrite; // failed (or was cancelled) before the version was made: the request fails with it
            throw new InvalidOperationException("The local write ended without making a version.");
        }

        var (version, siblings) = await created.Task;
        var acks = await ReplicateAsync(key, siblings, self, localWrite, preferred, fallbacks, quorum, operation, cancellationToken);
        var exact = self is not null && siblings.Count == 1;
        return new CoordinatedWrite(version, acks, contexts.Encode(exact ? version.Clock.ToVectorClock() : version.Clock.Context));
    }

    /// <summary>
    /// Dynamo §4.6 sloppy quorum: sends <paramref name="siblings"/> to the other preferred replicas in parallel
    /// with this node's own durable write (which counts when this node is one of them); each replica that fails is
    /// replaced by the next fallback candidate, which stores a hint naming it. Answers with the acknowledgement
    /// count at W; the others finish in the background.
    /// </summary>
    private async Task<int> ReplicateAsync(
        byte[] key,
        IReadOnlyList<VersionedValue> siblings,
        ReplicaPeer? self,
        Task localWrite,
        List<ReplicaPeer> preferred,
        Queue<ReplicaPeer> fallbacks,
        QuorumSettings quorum,
        string operation,
        CancellationToken cancellationToken)
    {
        var acks = 0;
        var quorumReached = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        void Acknowledged()
        {
            var now = Interlocked.Increment(ref acks);
            if (now == quorum.W)
            {
                quorumReached.TrySetResult(now);
            }
        }

        async Task LocalAsync(ReplicaPeer me)
        {
            try
            {
                await CallAsync("replica.write", me, false, async _ =>
                {
                    await localWrite;
                    return true;
                });
                Acknowledged();
            }
            catch (ReplicaUnavailableException ex)
            {
                logger.LogWarning(ex, "{Operation}: the local write failed", operation);
            }
        }

        async Task SendAsync(ReplicaPeer owner)
        {
            var target = owner;
            while (true)
            {
                try
                {
                    NodeId? hintFor = target == owner ? null : owner.Id;
                    await CallAsync("replica.write", target, hintFor is not null, async token =>
                    {
                        if (target.Id == Self)
                        {
                            // This node already holds the set (its own write); as a substitute it adds the hints.
                            await local.WriteAsync(key, siblings, hintFor, token);
                        }
                        else
                        {
                            await network.WriteAsync(target, key, siblings, hintFor, ReplicaTimeout, token);
                        }

                        return true;
                    });
                    if (hintFor is not null)
                    {
                        metrics.HintStored();
                    }

                    Acknowledged();
                    return;
                }
                catch (ReplicaUnavailableException ex)
                {
                    logger.LogDebug("{Operation} to {Replica} failed: {Reason}", operation, target.Id.ToShortString(), ex.Message);
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

        var calls = preferred.Where(p => p.Id != Self).Select(SendAsync).ToList();
        calls.Add(self is not null ? LocalAsync(self) : localWrite.ContinueWith(_ => { }, TaskScheduler.Default));
        var all = Task.WhenAll(calls);
        TrackBackground(all);
        _ = all.ContinueWith(
            _ => quorumReached.TrySetException(new QuorumNotReachedException(operation, quorum.W, Volatile.Read(ref acks), quorum.N)),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        try
        {
            var answered = await quorumReached.Task.WaitAsync(cancellationToken);
            ReplicationTelemetry.Outcome(Activity.Current, "ok");
            return answered;
        }
        catch (QuorumNotReachedException)
        {
            ReplicationTelemetry.Outcome(Activity.Current, "quorum_not_reached");
            throw;
        }
    }

    private sealed record CoordinatedWrite(VersionedValue Version, int Acks, string Context);
}
