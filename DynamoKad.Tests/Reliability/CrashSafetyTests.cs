using System.Collections.Concurrent;
using System.Diagnostics;
using DynamoKad.Protos.V1;
using DynamoKad.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace DynamoKad.Tests.Reliability;

/// <summary>
/// Whole node processes SIGKILLed at random moments while clients write as fast as they can: every write a
/// client saw acknowledged must read back after the restart, and the node must come back healthy each time.
/// The single-node variant (N=W=R=1) tests storage alone; the three-node one the W=2 of N=3 path.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class CrashSafetyTests(ITestOutputHelper output)
{
    private const int Writers = 8;
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task EveryAcknowledgedWriteSurvivesRepeatedSigkillOfASingleNode()
    {
        var seed = ReliabilitySettings.Seed(out var origin);
        output.WriteLine($"seed {seed} ({origin})");
        var random = new Random(seed);
        await using var cluster = await StandaloneCluster.StartAsync(new StandaloneClusterOptions
        {
            NodeCount = 1,
            Settings = Quorum(1, 1, 1),
        });

        var acknowledged = new ConcurrentDictionary<string, byte[]>();
        var rounds = ReliabilitySettings.IsSoak ? 10 : 3;
        for (var round = 0; round < rounds; round++)
        {
            var killAfter = TimeSpan.FromMilliseconds(random.Next(300, 2500));
            var stats = await WriteUntilKilledAsync(cluster, [0], $"s{round}", killAfter, random.Next(), acknowledged, () => cluster[0].Kill());
            output.WriteLine($"round {round}: killed after {killAfter.TotalMilliseconds:0} ms, {stats}");
            Assert.True(stats.Acknowledged > 0, $"seed {seed} round {round}: no write was acknowledged before the kill. {cluster.DescribeLogs()}");

            var restart = Stopwatch.StartNew();
            cluster[0].Start();
            await cluster[0].WaitHealthyAsync(TimeSpan.FromSeconds(90));
            output.WriteLine($"round {round}: healthy again after {restart.ElapsedMilliseconds} ms");

            await AssertAllReadBackAsync(cluster, acknowledged, r: 1, $"seed {seed} round {round}");
        }
    }

    [Fact]
    public async Task EveryAcknowledgedWriteSurvivesSigkillOfRandomNodesInAThreeNodeCluster()
    {
        var seed = ReliabilitySettings.Seed(out var origin);
        output.WriteLine($"seed {seed} ({origin})");
        var random = new Random(seed);
        await using var cluster = await StandaloneCluster.StartAsync(new StandaloneClusterOptions
        {
            NodeCount = 3,
            Settings = Quorum(3, 2, 2),
        });

        var acknowledged = new ConcurrentDictionary<string, byte[]>();
        var rounds = ReliabilitySettings.IsSoak ? 10 : 3;
        for (var round = 0; round < rounds; round++)
        {
            var victim = random.Next(3);
            var coordinators = Enumerable.Range(0, 3).Where(i => i != victim).ToArray();
            var killAfter = TimeSpan.FromMilliseconds(random.Next(300, 2500));

            // Writes go through the two survivors (and the victim until it dies, below), so W=2 stays reachable.
            var stats = await WriteUntilKilledAsync(cluster, [.. coordinators, victim], $"m{round}", killAfter, random.Next(), acknowledged, () => cluster[victim].Kill());
            output.WriteLine($"round {round}: killed node{victim} after {killAfter.TotalMilliseconds:0} ms, {stats}");
            Assert.True(stats.Acknowledged > 0, $"seed {seed} round {round}: no write was acknowledged before the kill. {cluster.DescribeLogs()}");

            cluster[victim].Start();
            await cluster[victim].WaitHealthyAsync(TimeSpan.FromSeconds(90));
            await AssertAllReadBackAsync(cluster, acknowledged, r: 3, $"seed {seed} round {round} (node{victim} killed)");
        }
    }

    internal static Dictionary<string, string> Quorum(int n, int r, int w) => new()
    {
        ["DynamoKad:Replication:N"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["DynamoKad:Replication:R"] = r.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["DynamoKad:Replication:W"] = w.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static async Task<WriteStats> WriteUntilKilledAsync(
        StandaloneCluster cluster, int[] coordinators, string prefix, TimeSpan killAfter, int seed,
        ConcurrentDictionary<string, byte[]> acknowledged, Action kill)
    {
        var stats = new WriteStats();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed + w);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"{prefix}/w{w}/{i}";
                var value = new byte[random.Next(16, 2048)];
                random.NextBytes(value);
                var via = coordinators[random.Next(coordinators.Length)];
                try
                {
                    await cluster.Client(via).PutAsync(
                        new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFrom(value) },
                        deadline: DateTime.UtcNow.Add(OperationTimeout));
                    acknowledged[key] = value;
                    Interlocked.Increment(ref stats.Acknowledged);
                }
                catch (RpcException)
                {
                    // Unknown outcome (the coordinator died, or it lost a replica mid-write): not checked.
                    Interlocked.Increment(ref stats.Failed);
                    await Task.Delay(20);
                }
            }
        })).ToArray();

        await Task.Delay(killAfter);
        kill();
        // Keep writing through the survivors for a moment: the kill lands mid-stream, not at a quiet point.
        await Task.Delay(200);
        await stop.CancelAsync();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        return stats;
    }

    private static async Task AssertAllReadBackAsync(StandaloneCluster cluster, ConcurrentDictionary<string, byte[]> acknowledged, int r, string context)
    {
        var missing = new ConcurrentBag<string>();
        var reader = cluster.Client(0);
        await Parallel.ForEachAsync(acknowledged, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (entry, _) =>
        {
            var got = await ReadWithRetryAsync(reader, entry.Key, r);
            if (!got.Found || !got.Siblings.Any(s => s.Value.Span.SequenceEqual(entry.Value)))
            {
                missing.Add($"{entry.Key} ({(got.Found ? $"{got.Siblings.Count} other versions" : "not found")})");
            }
        });
        Assert.True(missing.IsEmpty, $"{context}: {missing.Count} of {acknowledged.Count} acknowledged writes lost: {string.Join(", ", missing.Take(20))}\n{cluster.DescribeLogs()}");
    }

    /// <summary>Reads at R; a freshly restarted node may refuse for a moment (UNAVAILABLE), so retry for a while.</summary>
    private static async Task<GetResponse> ReadWithRetryAsync(KeyValue.KeyValueClient client, string key, int r)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await client.GetAsync(
                    new GetRequest { Key = ByteString.CopyFromUtf8(key), Quorum = new Quorum { R = (uint)r } },
                    deadline: DateTime.UtcNow.Add(OperationTimeout));
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(200);
            }
        }
    }

    private sealed class WriteStats
    {
        public int Acknowledged;
        public int Failed;

        public override string ToString() => $"{Acknowledged} acknowledged, {Failed} failed or unknown";
    }
}
