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
        var version = NewVersion(clock, value.ToArray(), tombstone: false);
        using var activity = ReplicationTelemetry.StartRequest("kv.put", quorum, keyBytes);
        var acks = await ReplicateAsync(keyBytes, version, quorum, "write", cancellationToken);
        activity?.SetTag("dynamokad.replicas_answered", acks);
        return new PutResult(contexts.Encode(version.Clock.ToVectorClock()), acks, version);
    }

    /// <summary>
    /// Dynamo §4.6 sloppy quorum: sends <paramref name="version"/> to the N preferred replicas in parallel;
    /// each one that fails is replaced by the next fallback candidate, which stores a hint naming it.
    /// Answers with the acknowledgement count at W; the others finish in the background.
    /// </summary>
    private async Task<int> ReplicateAsync(byte[] key, VersionedValue version, QuorumSettings quorum, string operation, CancellationToken cancellationToken)
    {
        var (preferred, fallbacks) = await PlaceAsync(key, quorum.N, cancellationToken);
        var acks = 0;
        var quorumReached = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

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
                            await local.WriteAsync(key, version, hintFor, token);
                        }
                        else
                        {
                            await network.WriteAsync(target, key, version, hintFor, ReplicaTimeout, token);
                        }

                        return true;
                    });
                    if (hintFor is not null)
                    {
                        metrics.HintStored();
                    }

                    var now = Interlocked.Increment(ref acks);
                    if (now == quorum.W)
                    {
                        quorumReached.TrySetResult(now);
                    }

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

        var all = Task.WhenAll(preferred.Select(SendAsync));
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
