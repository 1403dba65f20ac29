using Microsoft.Extensions.Logging;

namespace DynamoKad.Kademlia;

/// <summary>Joining the overlay and keeping buckets fresh (Kademlia §2.3).</summary>
public sealed partial class KademliaNode
{
    private volatile string? _bootstrapProblem;
    private int _seedCount;
    private bool _announcedOwnSeed;

    /// <summary>Why the node is not (yet) part of an overlay, or null when it is or has no seeds.</summary>
    public string? BootstrapProblem => _bootstrapProblem;

    /// <summary>Seeds configured in the last <see cref="BootstrapAsync"/>.</summary>
    public int SeedCount => _seedCount;

    /// <summary>
    /// This node is one of its own seeds (an orchestrator often hands every node the same list): it may
    /// be the first node up, so it need not wait for the other seeds; peers will join through it.
    /// </summary>
    public bool IsOwnSeed { get; private set; }

    /// <summary>
    /// One join attempt: PING each seed (learning its id), then look up our own id, then refresh every
    /// bucket farther away than our closest neighbour, so both we and the nodes we meet fill their
    /// tables. Returns false when no other seed answered (true, with nothing to look up, when this node
    /// is itself one of the seeds: see <see cref="IsOwnSeed"/>).
    /// </summary>
    public async Task<bool> JoinAsync(IReadOnlyList<string> seeds, CancellationToken cancellationToken)
    {
        var answered = 0;
        foreach (var seed in seeds)
        {
            if (SameAddress(seed, Self.Address))
            {
                IsOwnSeed = true;
                continue;
            }

            if (await Network.PingAsync(Self, seed, cancellationToken) is { } contact)
            {
                if (contact.Id == Self.Id)
                {
                    IsOwnSeed = true; // our own address under another name
                    continue;
                }

                Observe(contact);
                answered++;
            }
        }

        if (answered == 0)
        {
            return IsOwnSeed;
        }

        await LookupWithStatsAsync(Self.Id, cancellationToken);
        var closestNeighbour = RoutingTable.LowestOccupiedBucket;
        for (var index = closestNeighbour + 1; closestNeighbour >= 0 && index < NodeId.BitLength; index++)
        {
            await LookupWithStatsAsync(RandomIdInBucket(index), cancellationToken);
        }

        return true;
    }

    /// <summary>
    /// Joins through <paramref name="seeds"/>, retrying with exponential backoff (1 s doubling up to
    /// <see cref="KademliaOptions.BootstrapMaxBackoff"/>) while none answers: logged each time and
    /// reported by <see cref="BootstrapProblem"/> (and so the "kademlia" health check) meanwhile.
    /// With no seeds this is the first node of a cluster and returns at once.
    /// </summary>
    public async Task BootstrapAsync(IReadOnlyList<string> seeds, CancellationToken cancellationToken)
    {
        _seedCount = seeds.Count;
        if (seeds.Count == 0)
        {
            _logger.LogInformation("Kademlia: no seeds configured; waiting for other nodes to join through this one");
            return;
        }

        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; ; attempt++)
        {
            bool joined;
            try
            {
                joined = await JoinAsync(seeds, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning(ex, "Kademlia: join attempt {Attempt} failed", attempt);
                joined = false;
            }

            if (joined && RoutingTable.Count == 0)
            {
                _bootstrapProblem = null;
                _logger.Log(
                    _announcedOwnSeed ? LogLevel.Debug : LogLevel.Information,
                    "Kademlia: this node is one of its seeds and no other seed answered; waiting for peers to join through it");
                _announcedOwnSeed = true;
                return;
            }

            if (joined)
            {
                _bootstrapProblem = null;
                _logger.LogInformation(
                    "Kademlia: joined through {Seeds} after {Attempts} attempt(s); {Contacts} contacts in the routing table",
                    string.Join(", ", seeds), attempt, RoutingTable.Count);
                return;
            }

            _bootstrapProblem =
                $"none of the {seeds.Count} seed(s) ({string.Join(", ", seeds)}) answered after {attempt} attempt(s); retrying in {delay.TotalSeconds:0.#} s";
            _logger.LogWarning("Kademlia: {Problem}", _bootstrapProblem);
            await Task.Delay(delay, Time, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Options.BootstrapMaxBackoff.Ticks));
        }
    }

    /// <summary>
    /// Kademlia §2.3: looks up a random id in every bucket (from the closest neighbour's upwards) that
    /// no lookup has touched for <see cref="KademliaOptions.RefreshInterval"/>. Returns how many.
    /// </summary>
    public async Task<int> RefreshAsync(CancellationToken cancellationToken)
    {
        var stale = RoutingTable.BucketsToRefresh(Options.RefreshInterval);
        foreach (var index in stale)
        {
            await LookupWithStatsAsync(RandomIdInBucket(index), cancellationToken);
        }

        return stale.Count;
    }

    private static bool SameAddress(string a, string b) =>
        string.Equals(NormalizeAddress(a), NormalizeAddress(b), StringComparison.OrdinalIgnoreCase);

    private static string NormalizeAddress(string address)
    {
        var trimmed = address.Trim().TrimEnd('/');
        return trimmed.Contains("://", StringComparison.Ordinal) ? trimmed : "http://" + trimmed;
    }
}
