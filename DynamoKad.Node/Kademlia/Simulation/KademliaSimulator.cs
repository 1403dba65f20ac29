using System.Globalization;

namespace DynamoKad.Kademlia.Simulation;

/// <summary>
/// Deterministic simulation of a whole overlay in one process (FoundationDB / TigerBeetle style): nodes
/// join one by one through a random earlier node (real joins, no omniscient table filling), then random
/// lookups run from random live nodes and are checked against the true k closest live nodes. Optionally
/// a fraction of nodes fails halfway through, messages are lost, and DHT records are stored and found.
/// One seed drives every random choice, so the same settings print the same report.
/// </summary>
public sealed class KademliaSimulator
{
    private const int MaxJoinAttempts = 5;

    private readonly SimulationSettings _settings;
    private readonly Action<string> _log;

    public KademliaSimulator(SimulationSettings settings, Action<string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Nodes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(settings.Lookups);
        ArgumentOutOfRangeException.ThrowIfNegative(settings.Values);
        if (settings.Churn is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), $"churn must be in [0, 1); got {settings.Churn}.");
        }

        _settings = settings;
        _log = log ?? (_ => { });
    }

    public InMemoryKademliaNetwork? Network { get; private set; }

    public IReadOnlyList<KademliaNode> Nodes { get; private set; } = [];

    public async Task<SimulationReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var s = _settings;
        var random = new Random(s.Seed);
        var clock = new SimulatedClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var network = new InMemoryKademliaNetwork(unchecked(s.Seed * 31 + 7), s.Loss);
        var nodeRandom = new Random(unchecked(s.Seed * 17 + 3));
        var options = new KademliaOptions { K = s.K, Alpha = s.Alpha };
        Network = network;

        // Joins: each node bootstraps through one random node already in the overlay.
        var nodes = new List<KademliaNode>(s.Nodes);
        var ids = new HashSet<NodeId>();
        for (var i = 0; i < s.Nodes; i++)
        {
            NodeId id;
            do
            {
                id = NodeId.Random(random);
            }
            while (!ids.Add(id));

            var node = network.CreateNode(new Contact(id, "sim://" + i.ToString(CultureInfo.InvariantCulture)), options, clock, nodeRandom);
            if (i > 0)
            {
                for (var attempt = 0; attempt < MaxJoinAttempts; attempt++)
                {
                    var seed = nodes[random.Next(nodes.Count)].Self.Address;
                    if (await node.JoinAsync([seed], cancellationToken))
                    {
                        break;
                    }
                }
            }

            nodes.Add(node);
            await network.RunBackgroundWorkAsync();
            clock.Advance(SimulationSettings.StepTime);
            if ((i + 1) % 2000 == 0)
            {
                _log($"joined {i + 1} nodes");
            }
        }

        Nodes = nodes;
        var joinMessages = network.Messages;
        var live = new List<KademliaNode>(nodes);

        // Records are stored before any failure and looked up after, so churn tests their replication.
        var records = new List<(NodeId Key, byte[] Value)>(s.Values);
        var storedCounts = new List<int>(s.Values);
        for (var v = 0; v < s.Values; v++)
        {
            var key = NodeId.Random(random);
            var value = new byte[16];
            random.NextBytes(value);
            var publisher = live[random.Next(live.Count)];
            var (_, stored) = await publisher.StoreValueAsync(key, value, null, cancellationToken);
            records.Add((key, value));
            storedCounts.Add(stored);
            await network.RunBackgroundWorkAsync();
            clock.Advance(SimulationSettings.StepTime);
        }

        var hops = new List<int>(s.Lookups);
        var rpcs = new List<int>(s.Lookups);
        var failedLookups = new List<int>();
        var failedNodes = 0;
        var failedAfterChurn = 0;
        var recall = 0.0;
        var churnAt = s.Churn > 0 ? s.Lookups / 2 : -1;
        for (var j = 0; j < s.Lookups; j++)
        {
            if (j == churnAt)
            {
                failedNodes = FailNodes(network, live, random, (int)Math.Round(s.Churn * nodes.Count));
                _log($"{failedNodes} nodes failed after {j} lookups");
            }

            var initiator = live[random.Next(live.Count)];
            var target = NodeId.Random(random);
            var result = await initiator.LookupWithStatsAsync(target, cancellationToken);
            var truth = TrueClosest(live, target, s.K);
            recall += Overlap(result.Closest, truth) / (double)truth.Count;
            if (!SameIds(result.Closest, truth))
            {
                failedLookups.Add(j);
                if (churnAt >= 0 && j >= churnAt)
                {
                    failedAfterChurn++;
                }
            }

            hops.Add(result.Rounds);
            rpcs.Add(result.Rpcs);
            await network.RunBackgroundWorkAsync();
            clock.Advance(SimulationSettings.StepTime);
        }

        if (churnAt < 0 && s.Churn > 0)
        {
            failedNodes = FailNodes(network, live, random, (int)Math.Round(s.Churn * nodes.Count));
        }

        // Production nodes refresh every bucket nobody looked up for RefreshInterval (Kademlia §2.3); let
        // that happen once after the failures and measure lookups again on the healed overlay.
        double? healedSuccess = null;
        if (s.Churn > 0 && s.Lookups > 0)
        {
            clock.Advance(options.RefreshInterval);
            foreach (var node in live)
            {
                await node.RefreshAsync(cancellationToken);
                await network.RunBackgroundWorkAsync();
            }

            var healedLookups = Math.Max(1, s.Lookups / 4);
            var healedOk = 0;
            for (var j = 0; j < healedLookups; j++)
            {
                var initiator = live[random.Next(live.Count)];
                var target = NodeId.Random(random);
                var result = await initiator.LookupWithStatsAsync(target, cancellationToken);
                healedOk += SameIds(result.Closest, TrueClosest(live, target, s.K)) ? 1 : 0;
                await network.RunBackgroundWorkAsync();
                clock.Advance(SimulationSettings.StepTime);
            }

            healedSuccess = Math.Round((double)healedOk / healedLookups, 4);
            _log($"refreshed every bucket once after the failures; {healedLookups} more lookups");
        }

        var valueHops = new List<int>(s.Values);
        var valueRpcs = new List<int>(s.Values);
        var found = 0;
        foreach (var (key, value) in records)
        {
            var reader = live[random.Next(live.Count)];
            var result = await reader.FindValueAsync(key, cancellationToken);
            if (result.Value is { } got && got.AsSpan().SequenceEqual(value))
            {
                found++;
            }

            valueHops.Add(result.Rounds);
            valueRpcs.Add(result.Rpcs);
            await network.RunBackgroundWorkAsync();
            clock.Advance(SimulationSettings.StepTime);
        }

        return new SimulationReport
        {
            Nodes = s.Nodes,
            Lookups = s.Lookups,
            K = s.K,
            Alpha = s.Alpha,
            Seed = s.Seed,
            Churn = s.Churn,
            Loss = s.Loss,
            SuccessRate = s.Lookups == 0 ? 1 : Math.Round(1 - ((double)failedLookups.Count / s.Lookups), 4),
            Recall = s.Lookups == 0 ? 1 : Math.Round(recall / s.Lookups, 4),
            SuccessRateAfterChurn = churnAt < 0 ? null : Math.Round(1 - ((double)failedAfterChurn / (s.Lookups - churnAt)), 4),
            SuccessRateAfterRefresh = healedSuccess,
            HopsP50 = Percentile(hops, 50),
            HopsP99 = Percentile(hops, 99),
            HopsMax = hops.Count == 0 ? 0 : hops.Max(),
            RpcsP50 = Percentile(rpcs, 50),
            RpcsP99 = Percentile(rpcs, 99),
            FailedNodes = failedNodes,
            JoinMessagesMean = Math.Round((double)joinMessages / s.Nodes, 1),
            TableSizeMean = Math.Round(live.Average(n => n.RoutingTable.Count), 1),
            Messages = network.Messages,
            LostMessages = network.LostMessages,
            Values = s.Values,
            ValuesFoundRate = s.Values == 0 ? 1 : Math.Round((double)found / s.Values, 4),
            ValuesStoredMean = storedCounts.Count == 0 ? 0 : Math.Round(storedCounts.Average(), 2),
            ValueHopsP50 = Percentile(valueHops, 50),
            ValueHopsP99 = Percentile(valueHops, 99),
            ValueRpcsP50 = Percentile(valueRpcs, 50),
            ValueRpcsP99 = Percentile(valueRpcs, 99),
            FailedLookupIndices = failedLookups,
        };
    }

    /// <summary>The true k closest to <paramref name="target"/> among <paramref name="live"/>, by brute force.</summary>
    public static List<NodeId> TrueClosest(IReadOnlyList<KademliaNode> live, NodeId target, int k)
    {
        // A sorted window of the best k distances so far: most nodes fail the first comparison.
        var best = new List<NodeId>(k + 1);
        foreach (var node in live)
        {
            var distance = node.Self.Id ^ target;
            if (best.Count == k && distance >= best[^1])
            {
                continue;
            }

            var at = best.BinarySearch(distance);
            best.Insert(at < 0 ? ~at : at, distance);
            if (best.Count > k)
            {
                best.RemoveAt(k);
            }
        }

        return [.. best.Select(d => d ^ target)];
    }

    /// <summary>Nearest-rank percentile; 0 for no samples.</summary>
    public static int Percentile(List<int> samples, int percentile)
    {
        if (samples.Count == 0)
        {
            return 0;
        }

        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static int FailNodes(InMemoryKademliaNetwork network, List<KademliaNode> live, Random random, int count)
    {
        count = Math.Min(count, live.Count - 1);
        for (var i = 0; i < count; i++)
        {
            var victim = random.Next(live.Count);
            network.TakeDown(live[victim].Self.Address);
            live.RemoveAt(victim);
        }

        return count;
    }

    private static int Overlap(IReadOnlyList<Contact> result, List<NodeId> truth)
    {
        var set = new HashSet<NodeId>(truth);
        return result.Count(c => set.Contains(c.Id));
    }

    private static bool SameIds(IReadOnlyList<Contact> result, List<NodeId> truth)
    {
        if (result.Count != truth.Count)
        {
            return false;
        }

        var set = new HashSet<NodeId>(truth);
        return result.All(c => set.Contains(c.Id));
    }
}
