using DynamoKad.Kademlia;
using DynamoKad.Storage;
using DynamoKad.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DynamoKad.Replication;

/// <summary>
/// Dynamo §4.6 hinted handoff: periodically, at most <see cref="ReplicationOptions.HintDeliveryBatch"/> hints
/// a round, sends each stored hint to its owner and removes it only once the owner acknowledged. Hints live
/// in the storage engine, so they survive a restart of this node. After delivery the substitute drops its
/// own copy of the key, if unchanged since it was sent, unless it is itself one of the key's preferred replicas.
/// </summary>
public sealed class HintedHandoff(
    IStorageEngine storage,
    IReplicaPlacement placement,
    IReplicaNetwork network,
    LocalReplica local,
    IOptions<ReplicationOptions> options,
    ReplicationMetrics metrics,
    TimeProvider time,
    ILogger<HintedHandoff> logger) : BackgroundService
{
    /// <summary>One delivery round; returns the hints delivered.</summary>
    public async Task<int> DeliverOnceAsync(CancellationToken cancellationToken)
    {
        var hints = await storage.PeekHintsAsync(ReadOnlyMemory<byte>.Empty, options.Value.HintDeliveryBatch, cancellationToken);
        if (hints.Count == 0)
        {
            return 0;
        }

        // A trace of its own: the writes that stored these hints finished long ago.
        using var activity = DynamoKadTelemetry.StartLinkedRoot("hints.deliver");
        activity?.SetTag("dynamokad.hints.peeked", hints.Count);
        var unreachable = new HashSet<NodeId>();
        var delivered = new List<(byte[] Key, IReadOnlyList<StoredVersion> Held)>();
        var timeout = TimeSpan.FromMilliseconds(options.Value.ReplicaTimeoutMs);
        foreach (var hint in hints)
        {
            var owner = NodeId.FromBytes(hint.Target);
            if (unreachable.Contains(owner))
            {
                continue;
            }

            var peer = await placement.FindPeerAsync(owner, cancellationToken);
            if (peer is null)
            {
                unreachable.Add(owner);
                continue;
            }

            // The hinted version with everything this node holds for the key: the owner gets a coordinator's
            // whole sibling set, as from the coordinator itself (see LocalReplica.WriteAsync).
            var held = await storage.ReadAsync(hint.Key, cancellationToken);
            var versions = Siblings.Reconcile(held.Append(hint.Version).Select(VersionedValue.FromStored));
            try
            {
                using var deadline = new CancellationTokenSource(timeout, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
                await network.WriteAsync(peer, hint.Key, versions, hintFor: null, timeout, linked.Token);
            }
            catch (Exception ex) when (ex is ReplicaUnavailableException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                placement.ReportUnreachable(owner);
                unreachable.Add(owner);
                continue;
            }

            placement.ReportReachable(owner);
            await storage.RemoveHintAsync(hint.Id, cancellationToken);
            metrics.HintDelivered();
            delivered.Add((hint.Key, held));
        }

        activity?.SetTag("dynamokad.hints.delivered", delivered.Count);
        if (delivered.Count > 0)
        {
            await DropHandedOffCopiesAsync(delivered, cancellationToken);
        }

        return delivered.Count;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicRounds.RunAsync(
            TimeSpan.FromMilliseconds(options.Value.HintDeliveryIntervalMs),
            time,
            DeliverOnceAsync,
            count => logger.LogInformation("Hinted handoff delivered {Count} hints", count),
            logger,
            "Hinted handoff",
            stoppingToken);

    private async Task DropHandedOffCopiesAsync(List<(byte[] Key, IReadOnlyList<StoredVersion> Held)> delivered, CancellationToken cancellationToken)
    {
        // A key another owner still waits for stays: this node keeps serving it meanwhile.
        var pending = (await storage.PeekHintsAsync(ReadOnlyMemory<byte>.Empty, int.MaxValue, cancellationToken))
            .Select(h => Convert.ToHexString(h.Key))
            .ToHashSet();
        foreach (var (key, held) in delivered)
        {
            if (held.Count == 0 || pending.Contains(Convert.ToHexString(key)))
            {
                continue;
            }

            var preferred = await placement.GetPreferenceCandidatesAsync(NodeId.ForKey(key), options.Value.N, cancellationToken);
            if (preferred.Any(p => p.Id == local.Self))
            {
                continue;
            }

            // All or nothing: a part of a sibling set left behind could be read without the rest. A key that
            // changed since it was sent stays, for a later delivery or anti-entropy's stray handoff.
            await local.DropIfUnchangedAsync(key, held, cancellationToken);
        }
    }
}
