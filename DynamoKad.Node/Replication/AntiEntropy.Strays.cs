using DynamoKad.Kademlia;
using DynamoKad.Storage;
using Microsoft.Extensions.Logging;

namespace DynamoKad.Replication;

public sealed partial class AntiEntropy
{
    /// <summary>
    /// Keys this node holds but is not a preferred replica of. They arrive when a coordinator with a partial
    /// view (just restarted, its routing table still filling) took this node for a preferred replica: the
    /// write was acknowledged here without a hint, and the Merkle exchange, which covers only keys both peers
    /// replicate, would never carry it to the real owners. Each round hands such keys to every preferred
    /// replica (a merge there, like any anti-entropy exchange) and drops the local copy only once all N
    /// accepted it and it has not changed meanwhile. Returns the keys handed off.
    /// <para>
    /// The candidates are the keys the index found outside their preference lists under placement's view (usually
    /// none); only they are read from storage, and each is checked again against placement before it is handed off.
    /// </para>
    /// </summary>
    private async Task<int> HandOffStraysAsync(CancellationToken cancellationToken)
    {
        var n = options.Value.N;
        await local.WhenIndexedAsync(cancellationToken);
        var candidates = local.Index.GetStrays(options.Value.AntiEntropyMaxKeysPerRound);
        var strays = new List<(StoredRecord Record, IReadOnlyList<ReplicaPeer> Owners)>();
        foreach (var record in await local.ReadRecordsAsync(candidates, cancellationToken))
        {
            var owners = await placement.GetPreferenceCandidatesAsync(NodeId.FromBytes(record.KeyHash), n, cancellationToken);
            // A view that knows fewer than N nodes cannot tell who owns the key: keep it.
            if (owners.Count == n && !IsPreferred(owners, placement.Self))
            {
                strays.Add((record, owners));
            }
        }

        var handedOff = 0;
        foreach (var (record, owners) in strays)
        {
            var versions = new KeyVersions(record.Key, [.. record.Versions.Select(VersionedValue.FromStored)]);
            var accepted = 0;
            foreach (var owner in owners)
            {
                try
                {
                    using var deadline = Deadline(cancellationToken);
                    await network.SyncKeysAsync(owner, [versions], Timeout, deadline.Token);
                    accepted++;
                }
                catch (Exception ex) when (ex is ReplicaUnavailableException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    placement.ReportUnreachable(owner.Id);
                    logger.LogDebug("Handing a stray key to {Owner} failed: {Reason}", owner.Id.ToShortString(), ex.Message);
                }
            }

            if (accepted == owners.Count && await local.DropIfUnchangedAsync(record.Key, record.Versions, cancellationToken))
            {
                handedOff++;
            }
        }

        if (handedOff > 0)
        {
            logger.LogInformation("Anti-entropy handed {Count} keys this node does not own to their replicas", handedOff);
        }

        return handedOff;
    }
}
