using DynamoKad.Kademlia;
using DynamoKad.Storage;
using DynamoKad.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DynamoKad.Replication;

/// <summary>
/// Dynamo §4.7 anti-entropy: every <see cref="ReplicationOptions.AntiEntropyIntervalMs"/>, with each peer this
/// node shares keys with, compare Merkle roots over the shared keys, descend level by level only into the
/// subtrees that differ, compare the differing leaves key by key, and exchange just the differing keys'
/// versions. Both sides merge (siblings reconciliation), so newer data is never overwritten and tombstones
/// travel like any version. At most <see cref="ReplicationOptions.AntiEntropyMaxKeysPerRound"/> keys per
/// peer per round. A round ends with tombstone collection (<c>AntiEntropy.Tombstones.cs</c>).
/// <para>
/// Nothing in a round scans storage or looks up placement per key: partners, trees, strays and tombstone candidates
/// come from <see cref="LocalReplica.Index"/>, kept current on every write; only the differing leaves (and the few keys
/// handed off or collected) are read from storage. A round costs in proportion to what changed.
/// </para>
/// </summary>
public sealed partial class AntiEntropy(
    IReplicaPlacement placement,
    IReplicaNetwork network,
    LocalReplica local,
    IOptions<ReplicationOptions> options,
    ReplicationMetrics metrics,
    TimeProvider time,
    ILogger<AntiEntropy> logger) : BackgroundService
{
    private TimeSpan Timeout => TimeSpan.FromMilliseconds(options.Value.ReplicaTimeoutMs);

    /// <summary>One round with every partner; returns the keys repaired.</summary>
    public async Task<int> RunRoundAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var repaired = 0;
        using var activity = DynamoKadTelemetry.StartLinkedRoot("anti_entropy.round");
        foreach (var peer in await local.GetReplicaPartnersAsync(cancellationToken))
        {
            try
            {
                repaired += await SynchronizeAsync(peer, cancellationToken);
                placement.ReportReachable(peer.Id);
            }
            catch (Exception ex) when (ex is ReplicaUnavailableException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                placement.ReportUnreachable(peer.Id);
                logger.LogDebug("Anti-entropy with {Peer} skipped: {Reason}", peer.Id.ToShortString(), ex.Message);
            }
        }

        try
        {
            repaired += await HandOffStraysAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Handing off keys this node does not own failed; trying again next round");
        }

        activity?.SetTag("dynamokad.keys_repaired", repaired);
        await CollectTombstonesAsync(cancellationToken);
        metrics.AntiEntropyRoundFinished(time.GetElapsedTime(started));
        return repaired;
    }

    /// <summary>Brings this node and <paramref name="peer"/> to the same versions of every key they share; returns keys repaired.</summary>
    public async Task<int> SynchronizeAsync(ReplicaPeer peer, CancellationToken cancellationToken)
    {
        using var activity = DynamoKadTelemetry.Source.StartActivity("anti_entropy.sync");
        activity?.SetTag("node", peer.Id.ToString());
        var tree = await local.GetTreeAsync(peer.Id, cancellationToken);
        List<int> differing = [0];
        for (var level = 0; level <= MerkleTree.LeafBits && differing.Count > 0; level++)
        {
            using var deadline = Deadline(cancellationToken);
            var theirs = await network.GetMerkleHashesAsync(peer, placement.Self, level, differing, Timeout, deadline.Token);
            var next = new List<int>();
            for (var i = 0; i < differing.Count; i++)
            {
                if (!tree.GetHash(level, differing[i]).AsSpan().SequenceEqual(theirs[i]))
                {
                    next.Add(differing[i]);
                }
            }

            if (level == MerkleTree.LeafBits)
            {
                differing = next;
                break;
            }

            differing = [.. next.SelectMany(i => new[] { i * 2, (i * 2) + 1 })];
        }

        if (differing.Count == 0)
        {
            metrics.AntiEntropyExchanged(0, 0);
            return 0;
        }

        IReadOnlyList<KeyDigest> remote;
        using (var deadline = Deadline(cancellationToken))
        {
            remote = await network.GetLeafDigestsAsync(peer, placement.Self, differing, Timeout, deadline.Token);
        }

        var mine = await local.GetLeafDigestsAsync(peer.Id, differing, cancellationToken);
        var (keysToSync, compared) = KeysToSync(mine, remote);
        keysToSync = [.. keysToSync.Take(options.Value.AntiEntropyMaxKeysPerRound)];
        var outgoing = new List<KeyVersions>(keysToSync.Count);
        foreach (var key in keysToSync)
        {
            outgoing.Add(new KeyVersions(key, await local.ReadAsync(key, cancellationToken)));
        }

        IReadOnlyList<KeyVersions> answer;
        using (var deadline = Deadline(cancellationToken))
        {
            answer = await network.SyncKeysAsync(peer, outgoing, Timeout, deadline.Token);
        }

        foreach (var entry in answer.Where(a => a.Versions.Count > 0))
        {
            await local.MergeAsync(entry.Key, entry.Versions, cancellationToken);
        }

        metrics.AntiEntropyExchanged(compared, keysToSync.Count);
        activity?.SetTag("dynamokad.keys_compared", compared);
        activity?.SetTag("dynamokad.keys_repaired", keysToSync.Count);
        return keysToSync.Count;
    }

    /// <summary>
    /// The keys whose digests differ or that only one side holds, and how many keys were compared. A key listed with
    /// an empty digest is in flight on that side (newer than the settle time): the write that made it carries the
    /// whole sibling set to every replica, so it is left to the write path, whichever side holds the older version.
    /// </summary>
    private static (List<byte[]> Keys, int Compared) KeysToSync(IReadOnlyList<KeyDigest> mine, IReadOnlyList<KeyDigest> theirs)
    {
        var digests = new Dictionary<byte[], (byte[]? Mine, byte[]? Theirs)>(mine.Count + theirs.Count, ByteArrayComparer.Instance);
        foreach (var digest in mine)
        {
            digests[digest.Key] = (digest.Digest, null);
        }

        foreach (var digest in theirs)
        {
            digests[digest.Key] = (digests.TryGetValue(digest.Key, out var both) ? both.Mine : null, digest.Digest);
        }

        var keys = new List<byte[]>();
        foreach (var (key, (ours, others)) in digests)
        {
            if (ours is { Length: 0 } || others is { Length: 0 })
            {
                continue;
            }

            if (ours is null || others is null || !ours.AsSpan().SequenceEqual(others))
            {
                keys.Add(key);
            }
        }

        return (keys, digests.Count);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The index is built from one scan at start-up, not at the first round (a peer's round may ask for a tree first).
        try
        {
            await local.WhenIndexedAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Building the anti-entropy index failed; the first round tries again");
        }

        await PeriodicRounds.RunAsync(
            TimeSpan.FromMilliseconds(options.Value.AntiEntropyIntervalMs),
            time,
            RunRoundAsync,
            count => logger.LogInformation("Anti-entropy repaired {Count} keys", count),
            logger,
            "Anti-entropy",
            stoppingToken);
    }

    private CancellationTokenSource Deadline(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(Timeout);
        return source;
    }

    private static bool IsPreferred(IReadOnlyList<ReplicaPeer> preferred, NodeId id) => preferred.Any(p => p.Id == id);
}
