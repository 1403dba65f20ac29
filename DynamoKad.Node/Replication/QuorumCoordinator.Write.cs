using System.Diagnostics;
using DynamoKad.Kademlia;
using DynamoKad.Storage;
using Microsoft.Extensions.Logging;

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
    public async Task<PutResult> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, string? context, QuorumOverrides? overrides, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        Exception? failure = null;
        try
        {
            var quorum = QuorumSettings.Resolve(options.Value, overrides);
            var keyBytes = ValidateKey(key);
            var clock = contexts.Decode(context);
            using var activity = ReplicationTelemetry.StartRequest("kv.put", quorum, keyBytes);
            var write = await WriteVersionAsync(HashedKey.Of(keyBytes), clock, value.ToArray(), tombstone: false, quorum, forwarded: false, cancellationToken);
            activity?.SetTag("dynamokad.replicas_answered", write.Acks);
            return new PutResult(write.Context, write.Acks, write.Version, write.Siblings);
        }
        catch (Exception ex) when (Record(ex, out failure))
        {
            throw; // not reached: the filter records the failure and declines
        }
        finally
        {
            Measured("put", started, failure);
        }
    }

    /// <summary>Coordinates a write another node forwarded here (<see cref="IReplicaNetwork.CoordinateAsync"/>); never forwards it again.</summary>
    /// <exception cref="InvalidCausalContextException">The context is not a valid token.</exception>
    /// <exception cref="QuorumValidationException">The quorum makes no sense.</exception>
    /// <exception cref="QuorumNotReachedException">Fewer than W replicas acknowledged.</exception>
    public async Task<CoordinatedWrite> CoordinateForwardedAsync(ForwardedWrite write, CancellationToken cancellationToken)
    {
        if (!write.Quorum.IsValid)
        {
            throw new QuorumValidationException(string.Join(" ", QuorumSettings.Validate(write.Quorum.N, write.Quorum.R, write.Quorum.W, "quorum.")));
        }

        var keyBytes = ValidateKey(write.Key);
        var clock = contexts.Decode(write.Context);
        using var activity = ReplicationTelemetry.StartRequest(write.Tombstone ? "kv.delete.forwarded" : "kv.put.forwarded", write.Quorum, keyBytes);
        var result = await WriteVersionAsync(HashedKey.Of(keyBytes), clock, write.Value, write.Tombstone, write.Quorum, forwarded: true, cancellationToken);
        activity?.SetTag("dynamokad.replicas_answered", result.Acks);
        return result;
    }

    /// <summary>Keeps <paramref name="ex"/> for the request's metrics and lets it propagate (an exception filter).</summary>
    private static bool Record(Exception ex, out Exception? failure)
    {
        failure = ex;
        return false;
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
    private async Task<CoordinatedWrite> WriteVersionAsync(HashedKey key, VectorClock context, byte[] value, bool tombstone, QuorumSettings quorum, bool forwarded, CancellationToken cancellationToken)
    {
        var operation = tombstone ? "delete" : "write";
        var candidates = await PlaceAsync(key, quorum.N, cancellationToken);
        var self = SelfAmong(candidates, quorum.N);
        if (self is null && !forwarded)
        {
            return await ForwardAsync(new ForwardedWrite(key.Key, value, tombstone, contexts.Encode(context), quorum), candidates, quorum.N, cancellationToken);
        }

        var request = Activity.Current;
        var write = new QuorumWrite(this, key.Key, quorum, operation, candidates, self, request);
        // The local replica's span covers its durable write (wal.append under it); the others start beside it.
        var localSpan = self is null ? null : ReplicationTelemetry.StartReplicaCall("replica.write", self, hinted: false);
        var localWrite = local.WriteNewVersionAsync(key, existing => NewVersion(context, existing, value, tombstone), write.Replicate, cancellationToken);
        Activity.Current = request;
        write.Begin(localWrite, localSpan);
        int acks;
        try
        {
            acks = await (cancellationToken.CanBeCanceled ? write.Task.WaitAsync(cancellationToken) : write.Task);
        }
        catch (QuorumNotReachedException)
        {
            ReplicationTelemetry.Outcome(request, "quorum_not_reached");
            throw;
        }

        ReplicationTelemetry.Outcome(request, "ok");
        var made = write.Made!;
        var set = write.Set!;
        var others = new List<VersionedValue>(set.Count);
        foreach (var version in set)
        {
            if (!version.Tombstone && !version.Clock.SameDot(made.Clock))
            {
                others.Add(version);
            }
        }

        return new CoordinatedWrite(made, acks, contexts.Encode(Siblings.MergedClock(set)), others);
    }

    /// <summary>
    /// Sends the write to the preferred replicas in order until one coordinates it. Every one unreachable fails the
    /// write with no acknowledgement: coordinating it here, on a node that is not a replica of the key, could not give
    /// the client an exact context.
    /// </summary>
    private async Task<CoordinatedWrite> ForwardAsync(ForwardedWrite write, IReadOnlyList<ReplicaPeer> candidates, int n, CancellationToken cancellationToken)
    {
        // The coordinator waits for its own replicas (and fallbacks) under their deadlines: allow for a few of them.
        var timeout = ReplicaTimeout * 3;
        var request = Activity.Current;
        for (var i = 0; i < n && i < candidates.Count; i++)
        {
            var peer = candidates[i];
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
    /// One write's fan-out (Dynamo §4.6 sloppy quorum): the key's sibling set goes to the other preferred replicas in
    /// parallel with this node's own durable write (which counts when this node is one of them); each replica that
    /// fails is replaced by the next fallback candidate, which stores a hint naming it. <see cref="Task"/> completes
    /// at W acknowledgements, or fails once every call ended below W; the calls it did not wait for finish in the
    /// background. No task, timer or closure per replica call beyond the network's own: completions are callbacks.
    /// </summary>
    private sealed class QuorumWrite
    {
        private readonly QuorumCoordinator _coordinator;
        private readonly byte[] _key;
        private readonly QuorumSettings _quorum;
        private readonly string _operation;
        private readonly IReadOnlyList<ReplicaPeer> _candidates;
        private readonly ReplicaPeer? _self;
        private readonly Activity? _request;
        private readonly TaskCompletionSource<int> _done = new();
        private readonly Lock _fallbackLock = new();
        private Activity? _localSpan;
        private int _acks;
        private int _calls = 1; // the local write's
        private int _nextFallback;
        private volatile bool _replicating;

        public QuorumWrite(QuorumCoordinator coordinator, byte[] key, QuorumSettings quorum, string operation, IReadOnlyList<ReplicaPeer> candidates, ReplicaPeer? self, Activity? request)
        {
            _coordinator = coordinator;
            _key = key;
            _quorum = quorum;
            _operation = operation;
            _candidates = candidates;
            _self = self;
            _request = request;
            _nextFallback = Math.Min(quorum.N, candidates.Count);
            coordinator.BackgroundStarted();
        }

        public Task<int> Task => _done.Task;

        public VersionedValue? Made { get; private set; }

        public IReadOnlyList<VersionedValue>? Set { get; private set; }

        /// <summary>
        /// Under the key's lock, before the local WAL's fsync: the new version and the key's whole sibling set, sent
        /// to the other preferred replicas at once (enqueued, not awaited) so they are made durable alongside it.
        /// </summary>
        public void Replicate(VersionedValue made, IReadOnlyList<VersionedValue> set)
        {
            Made = made;
            Set = set;
            _replicating = true;
            var current = Activity.Current;
            for (var i = 0; i < _quorum.N && i < _candidates.Count; i++)
            {
                if (_candidates[i].Id != _coordinator.Self)
                {
                    Interlocked.Increment(ref _calls);
                    Send(_candidates[i], _candidates[i]);
                }
            }

            Activity.Current = current;
        }

        public void Begin(Task localWrite, Activity? localSpan)
        {
            _localSpan = localSpan;
            localWrite.ContinueWith(
                static (task, state) => ((QuorumWrite)state!).LocalDone(task),
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        private void LocalDone(Task localWrite)
        {
            if (!_replicating)
            {
                // Failed (or was cancelled) before the version was made: the request fails with it.
                ReplicationTelemetry.Outcome(_localSpan, "unavailable");
                _localSpan?.Dispose();
                _done.TrySetException(localWrite.Exception?.GetBaseException() ?? (Exception)new OperationCanceledException("the local write was cancelled"));
            }
            else if (localWrite.IsCompletedSuccessfully)
            {
                ReplicationTelemetry.Outcome(_localSpan, "ok");
                _localSpan?.Dispose();
                // A forwarded write this node is not a preferred replica of (the two views disagree): its copy is no ack.
                if (_self is not null)
                {
                    Acknowledged();
                }
            }
            else
            {
                ReplicationTelemetry.Outcome(_localSpan, "unavailable");
                _localSpan?.Dispose();
                _coordinator.Logger.LogWarning(localWrite.Exception?.GetBaseException(), "{Operation}: the local write failed", _operation);
            }

            CallEnded();
        }

        private void Send(ReplicaPeer target, ReplicaPeer owner)
        {
            NodeId? hintFor = ReferenceEquals(target, owner) ? null : owner.Id;
            var span = ReplicationTelemetry.StartReplicaCall("replica.write", target, hintFor is not null, _request);
            Task sent;
            try
            {
                sent = _coordinator.Network.WriteAsync(target, _key, Set!, hintFor, _coordinator.ReplicaTimeout, CancellationToken.None);
            }
            catch (Exception ex)
            {
                sent = System.Threading.Tasks.Task.FromException(ex);
            }

            sent.ContinueWith(
                static (task, state) => ((ReplicaCall)state!).Done(task),
                new ReplicaCall(this, target, owner, span),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        private void Acknowledged()
        {
            if (Interlocked.Increment(ref _acks) == _quorum.W)
            {
                _done.TrySetResult(_quorum.W);
            }
        }

        private void CallEnded()
        {
            if (Interlocked.Decrement(ref _calls) != 0)
            {
                return;
            }

            // Nearly always the quorum was reached long before the last call ended: no exception (and message) per write.
            if (!_done.Task.IsCompleted)
            {
                _done.TrySetException(new QuorumNotReachedException(_operation, _quorum.W, Volatile.Read(ref _acks), _quorum.N));
            }

            _coordinator.BackgroundEnded();
        }

        /// <summary>The next fallback candidate that is not this node (it holds the set already), or null.</summary>
        private ReplicaPeer? NextFallback()
        {
            lock (_fallbackLock)
            {
                while (_nextFallback < _candidates.Count)
                {
                    var candidate = _candidates[_nextFallback++];
                    if (candidate.Id != _coordinator.Self)
                    {
                        return candidate;
                    }
                }

                return null;
            }
        }

        /// <summary>One replica call of the write: to the owner itself, or to a fallback holding a hint for it.</summary>
        private sealed class ReplicaCall(QuorumWrite write, ReplicaPeer target, ReplicaPeer owner, Activity? span)
        {
            public void Done(Task sent)
            {
                var coordinator = write._coordinator;
                var hinted = !ReferenceEquals(target, owner);
                if (sent.IsCompletedSuccessfully)
                {
                    ReplicationTelemetry.Outcome(span, "ok");
                    span?.Dispose();
                    coordinator.Placement.ReportReachable(target.Id);
                    if (hinted)
                    {
                        coordinator.Metrics.HintStored();
                    }

                    write.Acknowledged();
                    write.CallEnded();
                    return;
                }

                ReplicationTelemetry.Outcome(span, "unavailable");
                span?.Dispose();
                coordinator.Placement.ReportUnreachable(target.Id);
                var reason = sent.Exception?.GetBaseException();
                if (reason is ReplicaUnavailableException or OperationCanceledException or null)
                {
                    coordinator.Logger.LogDebug("{Operation} to {Replica} failed: {Reason}", write._operation, target.Id.ToShortString(), reason?.Message ?? "cancelled");
                }
                else
                {
                    coordinator.Logger.LogWarning(reason, "{Operation} to {Replica} failed", write._operation, target.Id.ToShortString());
                }

                if (write.NextFallback() is { } fallback)
                {
                    write.Send(fallback, owner);
                }
                else
                {
                    write.CallEnded();
                }
            }
        }
    }
}
