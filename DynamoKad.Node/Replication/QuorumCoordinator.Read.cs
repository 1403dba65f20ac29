using System.Diagnostics;
using DynamoKad.Kademlia;
using DynamoKad.Storage;
using DynamoKad.Telemetry;

namespace DynamoKad.Replication;

public sealed partial class QuorumCoordinator
{
    private readonly Lock _hedgeLock = new();
    private readonly Queue<(long Due, QuorumRead Read)> _hedges = new();
    private ITimer? _hedgeTimer;
    private long _hedgeTimerDue = long.MaxValue;
    private int _readsSinceTimer;
    private bool _hedgeTimerBackedOff;

    /// <summary>How precisely the timer fires a hedge: 2 ms, the hedge delay's own floor.</summary>
    private long HedgeQuantumTicks => time.TimestampFrequency / 500;

    /// <summary>The timer's step while reads arrive and fire the due hedges themselves: 20 ms, to catch the last ones once reads stop.</summary>
    private long HedgeBackstopTicks => time.TimestampFrequency / 50;

    /// <summary>
    /// Reads per timer interval from which the timer steps back to <see cref="HedgeBackstopTicks"/>: at ten or more,
    /// the reads come at least ten times per interval, so the due hedges wait at most about a tenth of it for one.
    /// </summary>
    private const int ReadsForBackstop = 10;

    /// <summary>The timer's current step: the backstop while reads fire the due hedges, else the quantum.</summary>
    private long HedgeStepTicks => _hedgeTimerBackedOff ? HedgeBackstopTicks : HedgeQuantumTicks;

    /// <summary>
    /// Reads from R of the N preferred replicas (this node first), asks the others when one fails or after a hedge
    /// delay that follows the measured replica read latency (a failed preferred one is replaced by the next fallback,
    /// which may hold a hinted copy), answers at R with the reconciled siblings, and repairs stale replicas in the
    /// background. Replicas not asked are left to anti-entropy.
    /// </summary>
    /// <exception cref="QuorumValidationException">The overrides make no sense.</exception>
    /// <exception cref="QuorumNotReachedException">Fewer than R replicas answered.</exception>
    public Task<GetResult> GetAsync(ReadOnlyMemory<byte> key, QuorumOverrides? overrides, CancellationToken cancellationToken) =>
        GetCoreAsync(key, overrides, measured: true, cancellationToken);

    /// <param name="measured">Counts as a client get in the request metrics (a blind delete's read does not).</param>
    private async Task<GetResult> GetCoreAsync(ReadOnlyMemory<byte> key, QuorumOverrides? overrides, bool measured, CancellationToken cancellationToken)
    {
        // Measured in the same async frame as the read itself: one state machine per get, not two.
        var started = time.GetTimestamp();
        Exception? failure = null;
        try
        {
            var quorum = QuorumSettings.Resolve(options.Value, overrides);
            var keyBytes = ValidateKey(key);
            using var activity = ReplicationTelemetry.StartRequest("kv.get", quorum, keyBytes);
            var candidates = await PlaceAsync(HashedKey.Of(keyBytes), quorum.N, cancellationToken);
            var read = new QuorumRead(this, keyBytes, quorum, candidates, activity, cancellationToken);
            read.Start();
            try
            {
                await (cancellationToken.CanBeCanceled ? read.Task.WaitAsync(cancellationToken) : read.Task);
            }
            catch (QuorumNotReachedException)
            {
                ReplicationTelemetry.Outcome(activity, "quorum_not_reached");
                throw;
            }

            ReplicationTelemetry.Outcome(activity, "ok");
            var (seen, allAnswered) = read.Answers();
            var all = new List<VersionedValue>();
            foreach (var answer in seen)
            {
                all.AddRange(answer.Versions);
            }

            var merged = Siblings.Reconcile(all);
            var anyStale = false;
            foreach (var answer in seen)
            {
                anyStale |= !SameVersions(answer.Versions, merged);
            }

            var repair = options.Value.ReadRepair && (anyStale || !allAnswered);
            if (repair)
            {
                read.RepairOnceAnswered();
            }

            var live = new List<VersionedValue>(merged.Count);
            var answeredBy = new NodeId[seen.Length];
            for (var i = 0; i < seen.Length; i++)
            {
                answeredBy[i] = seen[i].Peer.Id;
            }

            foreach (var version in merged)
            {
                if (!version.Tombstone)
                {
                    live.Add(version);
                }
            }

            activity?.SetTag("dynamokad.replicas_answered", seen.Length);
            activity?.SetTag("dynamokad.siblings", live.Count);
            DynamoKadMetrics.SiblingsPerRead.Record(live.Count);
            return new GetResult(live.Count > 0, live, contexts.Encode(Siblings.MergedClock(merged)), answeredBy, repair);
        }
        catch (Exception ex) when (Record(ex, out failure))
        {
            throw; // not reached: the filter records the failure and declines
        }
        finally
        {
            if (measured)
            {
                Measured("get", started, failure);
            }
        }
    }

    /// <summary>
    /// Read repair (Dynamo §5): once every replica has answered or timed out, each preferred replica that
    /// answered without some reconciled version gets it. Merging on the replica makes this safe to race
    /// with new writes. A trace of its own (<c>kv.read_repair</c>), linked to the read that found the difference.
    /// </summary>
    private async Task RepairAsync(byte[] key, ReplicaAnswer[] answers, ActivityContext cause)
    {
        using var activity = DynamoKadTelemetry.StartLinkedRoot("kv.read_repair", cause);
        var all = new List<VersionedValue>();
        foreach (var answer in answers)
        {
            all.AddRange(answer.Versions);
        }

        var merged = Siblings.Reconcile(all);
        var repaired = 0;
        foreach (var (peer, isPreferred, versions) in answers)
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

    private static bool SameVersions(IReadOnlyList<VersionedValue> versions, IReadOnlyList<VersionedValue> merged)
    {
        if (versions.Count != merged.Count)
        {
            return false;
        }

        // Index loops: foreach over an IReadOnlyList boxes an enumerator per loop, twice per answer of every read.
        for (var i = 0; i < merged.Count; i++)
        {
            var found = false;
            for (var j = 0; j < versions.Count; j++)
            {
                if (versions[j].Clock.SameDot(merged[i].Clock))
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The ids of the preferred replicas of <paramref name="key"/> under N (for tests and the dashboard).</summary>
    public async Task<IReadOnlyList<NodeId>> GetPreferenceListAsync(ReadOnlyMemory<byte> key, int n, CancellationToken cancellationToken)
    {
        var candidates = await placement.GetPreferenceCandidatesAsync(NodeId.ForKey(key.Span), n, cancellationToken);
        return [.. candidates.Select(c => c.Id)];
    }

    /// <summary>Asks <paramref name="read"/>'s remaining preferred replicas after <paramref name="delay"/> unless it has its quorum by then.</summary>
    private void ScheduleHedge(QuorumRead read, TimeSpan delay)
    {
        var now = time.GetTimestamp();
        var due = now + (long)(delay.TotalSeconds * time.TimestampFrequency);
        List<QuorumRead>? hedge;
        lock (_hedgeLock)
        {
            // Under load a read arrives every few microseconds: each takes the hedges already due off the queue
            // itself, so they fire within one arrival of their time, and the timer is only the backstop for when
            // reads stop coming (waking it once per quantum cost the timer thread 2-3 % of a get's CPU).
            hedge = TakeDueHedgesLocked(now);
            _readsSinceTimer++;
            _hedges.Enqueue((due, read));
            _hedgeTimer ??= time.CreateTimer(static state => ((QuorumCoordinator)state!).FireHedges(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            // Re-armed only when idle or for a hedge more than a step before the armed one: moving the timer for every
            // read cost more than the reads it hedged.
            if (_hedgeTimerDue == long.MaxValue || due + HedgeStepTicks < _hedgeTimerDue)
            {
                _hedgeTimerDue = due;
                _hedgeTimer.Change(delay, Timeout.InfiniteTimeSpan);
            }
        }

        Hedge(hedge);
    }

    /// <summary>A read that needs no hedge of its own still fires the ones due (nothing to do, and no lock, when none are queued).</summary>
    private void FireDueHedges()
    {
        if (Volatile.Read(ref _hedgeTimerDue) == long.MaxValue)
        {
            return; // the timer is idle: no hedge is queued
        }

        var now = time.GetTimestamp();
        List<QuorumRead>? due;
        lock (_hedgeLock)
        {
            due = TakeDueHedgesLocked(now);
            _readsSinceTimer++;
        }

        Hedge(due);
    }

    /// <summary>
    /// One timer for every read's hedge (not a timer per read): fires at the earliest due hedge, asks the rest of
    /// each due read's replicas unless it already has its answer, and sets itself for the next. While reads keep
    /// arriving (<see cref="ReadsForBackstop"/> or more per interval) they fire the due hedges themselves, and the
    /// timer steps back to one tick per backstop period.
    /// </summary>
    private void FireHedges()
    {
        var now = time.GetTimestamp();
        List<QuorumRead>? due;
        lock (_hedgeLock)
        {
            due = TakeDueHedgesLocked(now);
            _hedgeTimerBackedOff = _readsSinceTimer >= ReadsForBackstop;
            _readsSinceTimer = 0;
            _hedgeTimerDue = long.MaxValue;
            if (_hedges.TryPeek(out var next))
            {
                // Hedges due within one step of each other fire together: at most one tick per step.
                _hedgeTimerDue = Math.Max(next.Due, now + HedgeStepTicks);
                _hedgeTimer!.Change(TimeSpan.FromSeconds((double)(_hedgeTimerDue - now) / time.TimestampFrequency), Timeout.InfiniteTimeSpan);
            }
        }

        Hedge(due);
    }

    /// <summary>Under the hedge lock: takes the queued reads whose hedge is due and that have no answer yet.</summary>
    private List<QuorumRead>? TakeDueHedgesLocked(long now)
    {
        List<QuorumRead>? due = null;
        while (_hedges.TryPeek(out var head) && head.Due <= now)
        {
            _hedges.Dequeue();
            if (!head.Read.Task.IsCompleted)
            {
                (due ??= []).Add(head.Read);
            }
        }

        return due;
    }

    /// <summary>
    /// Fires <paramref name="due"/>'s hedges outside any ambient span: they run on another request's thread (or the
    /// timer's, whose context is that of the read that created it), and a read without a span of its own must not
    /// have its hedged calls filed under that request's trace.
    /// </summary>
    private static void Hedge(List<QuorumRead>? due)
    {
        if (due is null)
        {
            return;
        }

        var ambient = Activity.Current;
        Activity.Current = null;
        try
        {
            foreach (var read in due)
            {
                read.Hedge();
            }
        }
        finally
        {
            Activity.Current = ambient;
        }
    }

    /// <summary>One replica's answer to a read: who, whether it is a preferred replica (not a fallback), and its versions.</summary>
    private readonly record struct ReplicaAnswer(ReplicaPeer Peer, bool Preferred, IReadOnlyList<VersionedValue> Versions);

    /// <summary>
    /// One read's fan-out: R preferred replicas first (this node first, without a network hop, then the others
    /// clockwise on the id ring from this node, see <see cref="OrderClockwiseFrom"/>), the next preferred
    /// one (then the fallbacks) in place of each that fails, and the remaining preferred ones at the hedge.
    /// <see cref="Task"/> completes at R answers, or fails once every call ended below R; completions are callbacks.
    /// </summary>
    private sealed class QuorumRead
    {
        private readonly QuorumCoordinator _coordinator;
        private readonly byte[] _key;
        private readonly QuorumSettings _quorum;
        private readonly IReadOnlyList<ReplicaPeer> _candidates;
        private readonly ReplicaPeer[] _order;
        private readonly Activity? _request;
        private readonly CancellationToken _cancellationToken;
        private readonly TaskCompletionSource _quorumReached = new();
        private readonly Lock _gate = new();
        private readonly List<ReplicaAnswer> _answers;
        private int _started;
        private int _outstanding = 1; // the starter's own count, released once the first R reads are started
        private int _nextFallback;
        private bool _repairWhenAnswered;

        public QuorumRead(QuorumCoordinator coordinator, byte[] key, QuorumSettings quorum, IReadOnlyList<ReplicaPeer> candidates, Activity? request, CancellationToken cancellationToken)
        {
            _coordinator = coordinator;
            _key = key;
            _quorum = quorum;
            _candidates = candidates;
            _request = request;
            _cancellationToken = cancellationToken;
            var preferred = Math.Min(quorum.N, candidates.Count);
            _order = new ReplicaPeer[preferred];
            var next = 0;
            for (var i = 0; i < preferred; i++)
            {
                if (candidates[i].Id == coordinator.Self)
                {
                    _order[next++] = candidates[i];
                }
            }

            var others = next;
            for (var i = 0; i < preferred; i++)
            {
                if (candidates[i].Id != coordinator.Self)
                {
                    _order[next++] = candidates[i];
                }
            }

            OrderClockwiseFrom(coordinator.Self, _order.AsSpan(others, next - others));
            _nextFallback = preferred;
            _answers = new List<ReplicaAnswer>(quorum.R);
            coordinator.BackgroundStarted();
        }

        public Task Task => _quorumReached.Task;

        /// <summary>
        /// Sorts the other preferred replicas clockwise on the id ring from <paramref name="self"/>: the first one after
        /// it, then the next. Any R of the N preferred replicas make a read quorum, so which to ask first is free; asking
        /// each node's successor means that where one node is a replica of every key (N = cluster size, as in the
        /// benchmark) every read it coordinates goes to the same peer, and the replica links carry fuller frames than
        /// when each node's reads split over all its peers by key. An insertion sort: the span holds N - 1 entries.
        /// </summary>
        private static void OrderClockwiseFrom(NodeId self, Span<ReplicaPeer> peers)
        {
            for (var i = 1; i < peers.Length; i++)
            {
                var peer = peers[i];
                var j = i - 1;
                while (j >= 0 && ClockwiseBefore(self, peer.Id, peers[j].Id))
                {
                    peers[j + 1] = peers[j];
                    j--;
                }

                peers[j + 1] = peer;
            }
        }

        /// <summary>Whether <paramref name="a"/> comes before <paramref name="b"/> going clockwise from <paramref name="self"/>.</summary>
        private static bool ClockwiseBefore(NodeId self, NodeId a, NodeId b)
        {
            var aAfter = a > self;
            var bAfter = b > self;
            return aAfter == bAfter ? a < b : aAfter;
        }

        public void Start()
        {
            var first = new List<ReplicaPeer>(_quorum.R);
            lock (_gate)
            {
                while (first.Count < _quorum.R && TakeNextLocked() is { } peer)
                {
                    first.Add(peer);
                }
            }

            foreach (var peer in first)
            {
                Ask(peer, peer);
            }

            Finished();
            if (_started < _order.Length && !_quorumReached.Task.IsCompleted)
            {
                _coordinator.ScheduleHedge(this, _coordinator._readLatency.HedgeDelay(_coordinator.ReplicaTimeout));
            }
            else
            {
                _coordinator.FireDueHedges();
            }
        }

        /// <summary>The hedge delay passed without R answers: ask every preferred replica not asked yet.</summary>
        public void Hedge()
        {
            var rest = new List<ReplicaPeer>();
            lock (_gate)
            {
                // Nothing outstanding means every read already ended: the request has its answer or its failure.
                while (_outstanding > 0 && TakeNextLocked() is { } peer)
                {
                    rest.Add(peer);
                }
            }

            if (rest.Count > 0)
            {
                _coordinator.Metrics.ReadHedged(rest.Count);
            }

            foreach (var peer in rest)
            {
                Ask(peer, peer);
            }
        }

        /// <summary>The answers so far, and whether every replica asked has answered or failed.</summary>
        public (ReplicaAnswer[] Answers, bool AllAnswered) Answers()
        {
            lock (_gate)
            {
                return ([.. _answers], _outstanding == 0);
            }
        }

        /// <summary>Repairs the stale replicas once every replica asked has answered or failed (at once if all have).</summary>
        public void RepairOnceAnswered()
        {
            ReplicaAnswer[]? now = null;
            lock (_gate)
            {
                if (_outstanding == 0)
                {
                    now = [.. _answers];
                }
                else
                {
                    _repairWhenAnswered = true;
                }
            }

            if (now is not null)
            {
                Repair(now);
            }
        }

        private void Repair(ReplicaAnswer[] answers) =>
            _coordinator.TrackBackground(_coordinator.RepairAsync(_key, answers, _request?.Context ?? default));

        /// <summary>Under the gate: claims the next preferred replica to ask (null when all have been asked).</summary>
        private ReplicaPeer? TakeNextLocked()
        {
            if (_started >= _order.Length)
            {
                return null;
            }

            _outstanding++;
            return _order[_started++];
        }

        private void Ask(ReplicaPeer target, ReplicaPeer owner)
        {
            var previous = Activity.Current;
            var span = ReplicationTelemetry.StartReplicaCall("replica.read", target, !ReferenceEquals(target, owner), _request);
            Task<IReadOnlyList<VersionedValue>> read;
            var began = _coordinator.Time.GetTimestamp();
            try
            {
                read = target.Id == _coordinator.Self
                    ? _coordinator.Local.ReadAsync(_key, _cancellationToken)
                    : _coordinator.Network.ReadAsync(target, _key, _coordinator.ReplicaTimeout, CancellationToken.None);
            }
            catch (Exception ex)
            {
                read = System.Threading.Tasks.Task.FromException<IReadOnlyList<VersionedValue>>(ex);
            }
            finally
            {
                Activity.Current = previous;
            }

            var call = new ReplicaCall(this, target, owner, span, began);
            if (read.IsCompleted)
            {
                call.Done(read);
            }
            else
            {
                read.ContinueWith(
                    static (task, state) => ((ReplicaCall)state!).Done(task),
                    call,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }

        /// <summary>
        /// A call answered. It also ends here, before the quorum is signalled: the request's continuation runs inline
        /// and asks <see cref="Answers"/> whether every replica asked has answered; counting this call as still out
        /// would make a read whose replicas all agreed schedule a repair.
        /// </summary>
        private void Answered(ReplicaAnswer answer)
        {
            bool reached, ended;
            ReplicaAnswer[]? repair;
            lock (_gate)
            {
                _answers.Add(answer);
                reached = _answers.Count >= _quorum.R;
                ended = EndCallLocked(out repair);
            }

            if (reached)
            {
                _quorumReached.TrySetResult();
            }

            if (ended)
            {
                AllEnded(repair);
            }
        }

        /// <summary>A call ended without an answer: another preferred replica before any fallback (it holds the key, a fallback at best a hint).</summary>
        private void Failed(ReplicaPeer owner)
        {
            ReplicaPeer? next;
            lock (_gate)
            {
                next = TakeNextLocked();
            }

            if (next is not null)
            {
                Ask(next, next);
                return;
            }

            ReplicaPeer? fallback = null;
            lock (_gate)
            {
                while (fallback is null && _nextFallback < _candidates.Count)
                {
                    fallback = _candidates[_nextFallback++];
                }

                if (fallback is not null)
                {
                    _outstanding++;
                }
            }

            if (fallback is not null)
            {
                Ask(fallback, owner);
            }
        }

        /// <summary>A call (or the starter's own count) ended without an answer.</summary>
        private void Finished()
        {
            bool ended;
            ReplicaAnswer[]? repair;
            lock (_gate)
            {
                ended = EndCallLocked(out repair);
            }

            if (ended)
            {
                AllEnded(repair);
            }
        }

        /// <summary>Under the gate: one call fewer outstanding; true when it was the last (with the answers to repair, if asked).</summary>
        private bool EndCallLocked(out ReplicaAnswer[]? repair)
        {
            repair = null;
            if (--_outstanding > 0)
            {
                return false;
            }

            if (_repairWhenAnswered)
            {
                _repairWhenAnswered = false;
                repair = [.. _answers];
            }

            return true;
        }

        private void AllEnded(ReplicaAnswer[]? repair)
        {
            if (!_quorumReached.Task.IsCompleted)
            {
                int answered;
                lock (_gate)
                {
                    answered = _answers.Count;
                }

                _quorumReached.TrySetException(new QuorumNotReachedException("read", _quorum.R, answered, _quorum.N));
            }

            if (repair is not null)
            {
                Repair(repair);
            }

            _coordinator.BackgroundEnded();
        }

        /// <summary>One replica call of the read.</summary>
        private sealed class ReplicaCall(QuorumRead read, ReplicaPeer target, ReplicaPeer owner, Activity? span, long began)
        {
            public void Done(Task<IReadOnlyList<VersionedValue>> task)
            {
                var coordinator = read._coordinator;
                if (task.IsCompletedSuccessfully)
                {
                    ReplicationTelemetry.Outcome(span, "ok");
                    span?.Dispose();
                    if (target.Id != coordinator.Self)
                    {
                        coordinator._readLatency.Record(coordinator.Time.GetElapsedTime(began));
                        coordinator.Placement.ReportReachable(target.Id);
                    }

                    read.Answered(new ReplicaAnswer(target, ReferenceEquals(target, owner), task.Result));
                    return;
                }

                ReplicationTelemetry.Outcome(span, "unavailable");
                span?.Dispose();
                if (target.Id != coordinator.Self)
                {
                    coordinator.Placement.ReportUnreachable(target.Id);
                }

                read.Failed(owner);
                read.Finished();
            }
        }
    }
}
