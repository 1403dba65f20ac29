using DynamoKad.Kademlia;
using DynamoKad.Storage;
using DynamoKad.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DynamoKad.Replication;

/// <summary>
/// Coordinates client requests on this node (Dynamo §4.5: any node coordinates): finds the preference list,
/// fans out to the replicas, answers at the quorum and finishes the rest in the background.
/// Replica calls to this node itself go straight to <see cref="LocalReplica"/> rather than through the
/// network: the same code a remote replica runs, without a loopback hop or its failure modes.
/// Replica calls run on their own deadline, not the request's cancellation, so the replicas a request did
/// not wait for still get the write after the client has its answer.
/// </summary>
public sealed partial class QuorumCoordinator(
    IReplicaPlacement placement,
    IReplicaNetwork network,
    LocalReplica local,
    CausalContextCodec contexts,
    IOptions<ReplicationOptions> options,
    ReplicationMetrics metrics,
    TimeProvider time,
    ILogger<QuorumCoordinator> logger)
{
    private readonly Lock _counterLock = new();
    private readonly Lock _idleLock = new();
    private readonly ReplicaLatency _readLatency = new();
    private ulong _lastCounter;
    private long _background;
    private TaskCompletionSource? _idle;

    public NodeId Self => placement.Self;

    // For the per-request fan-out objects (QuorumWrite, QuorumRead), which are nested types, not closures.
    private IReplicaPlacement Placement => placement;

    private IReplicaNetwork Network => network;

    private LocalReplica Local => local;

    private ReplicationMetrics Metrics => metrics;

    private TimeProvider Time => time;

    private ILogger Logger => logger;

    /// <summary>Completes once every background replica call, read repair included, has finished (for tests and shutdown).</summary>
    public Task WhenBackgroundIdleAsync()
    {
        lock (_idleLock)
        {
            if (Interlocked.Read(ref _background) == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }

    /// <summary>Background work (replica calls a request did not wait for, read repair) began.</summary>
    private void BackgroundStarted() => Interlocked.Increment(ref _background);

    /// <summary>Background work ended; the last one wakes <see cref="WhenBackgroundIdleAsync"/>.</summary>
    private void BackgroundEnded()
    {
        if (Interlocked.Decrement(ref _background) != 0)
        {
            return;
        }

        TaskCompletionSource? idle;
        lock (_idleLock)
        {
            idle = Interlocked.Read(ref _background) == 0 ? _idle : null;
            if (idle is not null)
            {
                _idle = null;
            }
        }

        idle?.TrySetResult();
    }

    private void TrackBackground(Task task)
    {
        BackgroundStarted();
        _ = task.ContinueWith(
            static (t, state) =>
            {
                var coordinator = (QuorumCoordinator)state!;
                if (t.Exception is { } ex)
                {
                    coordinator.Logger.LogWarning(ex.GetBaseException(), "Background replication work failed");
                }

                coordinator.BackgroundEnded();
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Records one client request's latency and outcome (<c>dynamokad.kv.duration</c>, quorum failures).</summary>
    private void Measured(string operation, long started, Exception? failure)
    {
        var outcome = failure switch
        {
            null => DynamoKadMetrics.Outcomes.Ok,
            QuorumNotReachedException => DynamoKadMetrics.Outcomes.QuorumNotReached,
            QuorumValidationException or InvalidCausalContextException or ArgumentException => DynamoKadMetrics.Outcomes.Invalid,
            OperationCanceledException => DynamoKadMetrics.Outcomes.Cancelled,
            _ => DynamoKadMetrics.Outcomes.Error,
        };
        DynamoKadMetrics.RecordKvRequest(operation, outcome, time.GetElapsedTime(started));
    }

    private TimeSpan ReplicaTimeout => TimeSpan.FromMilliseconds(options.Value.ReplicaTimeoutMs);

    private static byte[] ValidateKey(ReadOnlyMemory<byte> key) =>
        key.IsEmpty ? throw new ArgumentException("key must not be empty.", nameof(key)) : key.ToArray();

    /// <summary>The key's candidates: the first N are its preference list, the rest sloppy-quorum fallbacks in order.</summary>
    private ValueTask<IReadOnlyList<ReplicaPeer>> PlaceAsync(HashedKey key, int n, CancellationToken cancellationToken) =>
        placement.GetPreferenceCandidatesAsync(NodeId.FromBytes(key.Hash), n + options.Value.FallbackCandidates, cancellationToken);

    /// <summary>This node's entry among the first <paramref name="n"/> candidates, or null when it is not a preferred replica.</summary>
    private ReplicaPeer? SelfAmong(IReadOnlyList<ReplicaPeer> candidates, int n)
    {
        for (var i = 0; i < n && i < candidates.Count; i++)
        {
            if (candidates[i].Id == Self)
            {
                return candidates[i];
            }
        }

        return null;
    }

    /// <summary>
    /// The dot of a new version, made under the key's lock (<see cref="LocalReplica.WriteNewVersionAsync"/>): a
    /// node-wide counter above anything this node issued before, above its own entry in the context and in every
    /// version stored for the key, and seeded from the wall clock (in microseconds) so it keeps rising across restarts.
    /// </summary>
    private VersionedValue NewVersion(VectorClock context, IReadOnlyList<VersionedValue> stored, byte[] value, bool tombstone)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var floor = context[Self];
        foreach (var version in stored)
        {
            floor = Math.Max(floor, version.Clock.Context[Self]);
            if (version.Clock.Dot.Node == Self)
            {
                floor = Math.Max(floor, version.Clock.Dot.Counter);
            }
        }

        ulong counter;
        lock (_counterLock)
        {
            counter = Math.Max(Math.Max(_lastCounter + 1, floor + 1), (ulong)Math.Max(now, 0) * 1000);
            _lastCounter = counter;
        }

        var clock = new VersionClock(new ClockEntry(Self, counter, now), context.Prune(options.Value.MaxClockEntries));
        return new VersionedValue(clock, value, tombstone);
    }

    private async Task<T> CallAsync<T>(string span, ReplicaPeer peer, bool hinted, Func<CancellationToken, Task<T>> call)
    {
        using var activity = ReplicationTelemetry.StartReplicaCall(span, peer, hinted);
        try
        {
            // No timer per call: a remote call carries ReplicaTimeout as its own deadline (a gRPC deadline over
            // the wire, enforced per item by the peer's batcher), and the local replica is storage, not a peer.
            var result = await call(CancellationToken.None);
            ReplicationTelemetry.Outcome(activity, "ok");
            if (peer.Id != Self)
            {
                placement.ReportReachable(peer.Id);
            }

            return result;
        }
        catch (Exception ex) when (ex is ReplicaUnavailableException or OperationCanceledException)
        {
            ReplicationTelemetry.Outcome(activity, "unavailable");
            if (peer.Id != Self)
            {
                placement.ReportUnreachable(peer.Id);
            }

            throw ex as ReplicaUnavailableException ?? new ReplicaUnavailableException(peer.Id, "deadline exceeded", ex);
        }
    }
}
