using System.Collections.Concurrent;
using DynamoKad.Kademlia;
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
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly Lock _counterLock = new();
    private readonly ReplicaLatency _readLatency = new();
    private ulong _lastCounter;

    public NodeId Self => placement.Self;

    /// <summary>Completes once every background replica call, read repair included, has finished (for tests and shutdown).</summary>
    public async Task WhenBackgroundIdleAsync()
    {
        while (!_background.IsEmpty)
        {
            await Task.WhenAll(_background.Keys.ToArray());
        }
    }

    /// <summary>Runs one client request and records its latency and outcome (<c>dynamokad.kv.duration</c>, quorum failures).</summary>
    private async Task<T> MeasureAsync<T>(string operation, Func<Task<T>> request)
    {
        var started = time.GetTimestamp();
        var outcome = DynamoKadMetrics.Outcomes.Error;
        try
        {
            var result = await request();
            outcome = DynamoKadMetrics.Outcomes.Ok;
            return result;
        }
        catch (QuorumNotReachedException)
        {
            outcome = DynamoKadMetrics.Outcomes.QuorumNotReached;
            throw;
        }
        catch (Exception ex) when (ex is QuorumValidationException or InvalidCausalContextException or ArgumentException)
        {
            outcome = DynamoKadMetrics.Outcomes.Invalid;
            throw;
        }
        catch (OperationCanceledException)
        {
            outcome = DynamoKadMetrics.Outcomes.Cancelled;
            throw;
        }
        finally
        {
            DynamoKadMetrics.RecordKvRequest(operation, outcome, time.GetElapsedTime(started));
        }
    }

    private TimeSpan ReplicaTimeout => TimeSpan.FromMilliseconds(options.Value.ReplicaTimeoutMs);

    private static byte[] ValidateKey(ReadOnlyMemory<byte> key) =>
        key.IsEmpty ? throw new ArgumentException("key must not be empty.", nameof(key)) : key.ToArray();

    private async Task<(List<ReplicaPeer> Preferred, Queue<ReplicaPeer> Fallbacks)> PlaceAsync(byte[] key, int n, CancellationToken cancellationToken)
    {
        var candidates = await placement.GetPreferenceCandidatesAsync(NodeId.ForKey(key), n + options.Value.FallbackCandidates, cancellationToken);
        return ([.. candidates.Take(n)], new Queue<ReplicaPeer>(candidates.Skip(n)));
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

    private void TrackBackground(Task task)
    {
        _background[task] = 0;
        _ = task.ContinueWith(
            t =>
            {
                _background.TryRemove(t, out _);
                if (t.Exception is { } ex)
                {
                    logger.LogWarning(ex.GetBaseException(), "Background replication work failed");
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
