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
        var write = await WriteVersionAsync(keyBytes, clock, value.ToArray(), tombstone: false, quorum, forwarded: false, cancellationToken);
        activity?.SetTag("dynamokad.replicas_answered", write.Acks);
        return new PutResult(write.Context, write.Acks, write.Version, write.Siblings);
    }

    /// <summary>Coordinates a write another node forwarded here (<see cref="IReplicaNetwork.CoordinateAsync"/>); never forwards it again.</summary>
    /// <exception cref="InvalidCausalContextException">The context is not a valid token.</exception>
    /// <exception cref="QuorumValidationException">The quorum makes no sense.</exception>
    /// <exception cref="QuorumNotReachedException">Fewer than W replicas acknowledged.</exception>
    public async Task<CoordinatedWrite> CoordinateForwardedAsync(ForwardedWrite write, CancellationToken cancellationToken)
    {
        var failures = QuorumSettings.Validate(write.Quorum.N, write.Quorum.R, write.Quorum.W, "quorum.");
        if (failures.Count > 0)
        {
            throw new QuorumValidationException(string.Join(" ", failures));
        }

        var keyBytes = ValidateKey(write.Key);
        var clock = contexts.Decode(write.Context);
        using var activity = ReplicationTelemetry.StartRequest(write.Tombstone ? "kv.delete.forwarded" : "kv.put.forwarded", write.Quorum, keyBytes);
        var result = await WriteVersionAsync(keyBytes, clock, write.Value, write.Tombstone, write.Quorum, forwarded: true, cancellationToken);
        activity?.SetTag("dynamokad.replicas_answered", result.Acks);
        return result;
    }

    /// <summary>
    /// Makes a new version on this node and replicates it, or, when this node is not a preferred replica of the key,
    /// has the first preferred replica that answers do so (Dynamo §4.5: a write's coordinator is one of the top N).
    /// The dot is issued under the key's lock in local storage (<see cref="LocalReplica.WriteNewVersionAsync"/>) and
    /// the replicas are sent the whole sibling set this node then holds, not the new version alone: so any replica
    /// holding this node's dot n for the key also holds each earlier dot of this node for the key, or a version that
    /// supersedes it, and a context that is the join of versions someone saw never covers one they did not see
    /// (finding R1 in docs/RELIABILITY.md). The answer's context is the join of that sibling set, the same as a
    /// read of this replica would give, and the live siblings beside the new version are returned with it, so the
    /// client is told about every version its next write with that context supersedes.
    /// </summary>
    private async Task<CoordinatedWrite> WriteVersionAsync(byte[] key, VectorClock context, byte[] value, bool tombstone, QuorumSettings quorum, bool forwarded, CancellationToken cancellationToken)
    {
        var operation = tombstone ? "delete" : "write";
        var (preferred, fallbacks) = await PlaceAsync(key, quorum.N, cancellationToken);
        var self = preferred.Find(p => p.Id == Self);
        if (self is null && !forwarded)
        {
            return await ForwardAsync(new ForwardedWrite(key, value, tombstone, contexts.Encode(context), quorum), preferred, cancellationToken);
        }

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

        var (made, set) = await created.Task;
        var acks = await ReplicateAsync(key, set, self, localWrite, preferred, fallbacks, quorum, operation, cancellationToken);
        var others = set.Where(v => !v.Tombstone && !v.Clock.SameDot(made.Clock)).ToList();
        return new CoordinatedWrite(made, acks, contexts.Encode(Siblings.MergedClock(set)), others);
    }

    /// <summary>
    /// Sends the write to the preferred replicas in order until one coordinates it. Every one unreachable fails the
    /// write with no acknowledgement: coordinating it here, on a node that is not a replica of the key, could not give
    /// the client an exact context.
    /// </summary>
    private async Task<CoordinatedWrite> ForwardAsync(ForwardedWrite write, List<ReplicaPeer> preferred, CancellationToken cancellationToken)
    {
        // The coordinator waits for its own replicas (and fallbacks) under their deadlines: allow for a few of them.
        var timeout = ReplicaTimeout * 3;
        var request = Activity.Current;
        foreach (var peer in preferred)
        {
            using var activity = ReplicationTelemetry.StartReplicaCall("replica.coordinate", peer, false);
            try
            {
                var result = await network.CoordinateAsync(peer, write, timeout, cancellationToken);
                ReplicationTelemetry.Outcome(activity, "ok");
                ReplicationTelemetry.Outcome(request, "ok");
                placement.ReportReachable(peer.Id);
                return result;
            }
            catch (ReplicaUnavailableException ex)
            {
                ReplicationTelemetry.Outcome(activity, "unavailable");
                placement.ReportUnreachable(peer.Id);
                logger.LogDebug("Forwarding a write to {Replica} failed: {Reason}", peer.Id.ToShortString(), ex.Message);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ReplicationTelemetry.Outcome(activity, "unavailable");
                placement.ReportUnreachable(peer.Id);
            }
        }

        ReplicationTelemetry.Outcome(request, "quorum_not_reached");
        throw new QuorumNotReachedException(write.Tombstone ? "delete" : "write", write.Quorum.W, 0, write.Quorum.N);
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
                        await network.WriteAsync(target, key, siblings, hintFor, ReplicaTimeout, token);

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
                        // This node is no fallback: it holds the set already.
                        do
                        {
                            if (!fallbacks.TryDequeue(out target!))
                            {
                                return;
                            }
                        }
                        while (target.Id == Self);
                    }
                }
            }
        }

        var calls = preferred.Where(p => p.Id != Self).Select(SendAsync).ToList();
        // A forwarded write this node is not a preferred replica of (the two views disagree): its copy is no ack.
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

}
