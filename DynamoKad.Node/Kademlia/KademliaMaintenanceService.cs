using DynamoKad.Hosting;
using Microsoft.Extensions.Options;

namespace DynamoKad.Kademlia;

/// <summary>
/// Joins the overlay at start-up (retrying with backoff while no seed answers), then once a minute
/// (or more often when the intervals are shorter): drops expired DHT records, refreshes buckets no
/// lookup touched for <see cref="KademliaOptions.RefreshInterval"/> (Kademlia §2.3), republishes this
/// node's records every <see cref="KademliaOptions.RepublishInterval"/> (§2.5), and re-joins if the
/// table has emptied. All waiting goes through <see cref="TimeProvider"/>.
/// </summary>
internal sealed class KademliaMaintenanceService(
    KademliaNode node,
    IOptions<ClusterOptions> cluster,
    IOptions<KademliaOptions> options,
    TimeProvider time,
    ILogger<KademliaMaintenanceService> logger) : BackgroundService
{
    private static readonly TimeSpan MaxTick = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FirstRejoinDelay = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var configured = cluster.Value.Seeds.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
        // A seed given by DNS name stands for every address it resolves to (a Kubernetes headless service).
        var seeds = await ResolveAsync(configured, stoppingToken);
        await node.BootstrapAsync(seeds, stoppingToken);

        var settings = options.Value;
        var tick = new[] { MaxTick, settings.RefreshInterval, settings.RepublishInterval }.Min();
        var lastRepublish = time.GetUtcNow();
        var emptyTableDelay = FirstRejoinDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Nodes that are their own seeds (every member of a headless service gets the same DNS name)
            // may all start before any other answers; none may then wait a whole tick to try again.
            var alone = configured.Count > 0 && node.RoutingTable.Count == 0;
            await Task.Delay(alone ? emptyTableDelay : tick, time, stoppingToken);
            emptyTableDelay = alone
                ? TimeSpan.FromTicks(Math.Min(emptyTableDelay.Ticks * 2, settings.BootstrapMaxBackoff.Ticks))
                : FirstRejoinDelay;
            try
            {
                await RunOnceAsync(configured, settings, lastRepublish, stoppingToken);
                if (time.GetUtcNow() - lastRepublish >= settings.RepublishInterval)
                {
                    lastRepublish = time.GetUtcNow();
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Kademlia maintenance failed; trying again in {Tick}", tick);
            }
        }
    }

    private async Task RunOnceAsync(List<string> seeds, KademliaOptions settings, DateTimeOffset lastRepublish, CancellationToken cancellationToken)
    {
        node.Records.RemoveExpired();
        if (seeds.Count > 0 && node.RoutingTable.Count == 0)
        {
            if (!node.IsOwnSeed)
            {
                logger.LogWarning("Kademlia: the routing table is empty; joining again through the seeds");
            }

            // Resolved again at every join: the addresses behind a DNS seed change as pods come and go.
            await node.BootstrapAsync(await ResolveAsync(seeds, cancellationToken), cancellationToken);
        }

        var refreshed = await node.RefreshAsync(cancellationToken);
        if (refreshed > 0)
        {
            logger.LogDebug("Kademlia: refreshed {Buckets} buckets", refreshed);
        }

        if (time.GetUtcNow() - lastRepublish >= settings.RepublishInterval)
        {
            var republished = await node.RepublishAsync(cancellationToken);
            logger.LogDebug("Kademlia: republished {Records} records", republished);
        }
    }

    private async Task<IReadOnlyList<string>> ResolveAsync(List<string> configured, CancellationToken cancellationToken)
    {
        var resolved = await SeedResolver.ExpandAsync(configured, cancellationToken);
        if (!resolved.SequenceEqual(configured, StringComparer.OrdinalIgnoreCase))
        {
            logger.LogInformation("Kademlia: seeds {Configured} resolve to {Resolved}", string.Join(", ", configured), string.Join(", ", resolved));
        }

        return resolved;
    }
}
