using DynamoKad.Tests.Support;
using Xunit.Abstractions;

namespace DynamoKad.Tests.Reliability;

/// <summary>
/// Jepsen-style runs on a real three-node cluster: concurrent clients, a seeded nemesis, heal, convergence,
/// R=N reads of every key and the history checker. A failure prints the seed (replay it with
/// DYNAMOKAD_RELIABILITY_SEED) and the minimal history around each anomaly. The negative control proves the
/// checker can fail.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class HistoryCheckTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ConvergenceTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Short heal timers so a run converges in seconds rather than the production half minute.</summary>
    internal static Dictionary<string, string> FastRepair(Dictionary<string, string> settings)
    {
        settings["DynamoKad:Replication:HintDeliveryIntervalMs"] = "1000";
        settings["DynamoKad:Replication:AntiEntropyIntervalMs"] = "2000";
        settings["DynamoKad:Replication:ReplicaTimeoutMs"] = "1000";
        return settings;
    }

    [Fact]
    public async Task NoAcknowledgedWriteIsLostAndSiblingsSurviveWhileNodesAreKilledAndRestarted()
    {
        var seed = ReliabilitySettings.Seed(out var origin);
        output.WriteLine($"seed {seed} ({origin})");
        await using var cluster = await StandaloneCluster.StartAsync(new StandaloneClusterOptions
        {
            NodeCount = 3,
            Settings = FastRepair(CrashSafetyTests.Quorum(3, 2, 2)),
        });

        var run = new HistoryRun(cluster, seed, output.WriteLine);
        var duration = ReliabilitySettings.Duration(TimeSpan.FromSeconds(20));
        await run.RunAsync(new WorkloadOptions { KeyPrefix = $"h{seed}", Coordinators = [0, 1, 2] }, duration, [FaultKind.Kill]);
        var convergence = await run.HealAndConvergeAsync(ConvergenceTimeout);
        var final = await run.ReadFinalStateAsync();
        var result = run.Check(final, checkStaleReads: true);

        output.WriteLine($"{run.FaultsInjected} faults injected; converged {convergence.TotalMilliseconds:0} ms after the heal");
        output.WriteLine(result.Summary());
        Assert.True(result.IsValid, $"seed {seed}: {result.Summary()}\n{result.Describe(run.History)}\nfull history: {run.SaveOnFailure(result)}");
        Assert.True(result.AcknowledgedPuts > 0, $"seed {seed}: the workload acknowledged no put at all. {cluster.DescribeLogs()}");
    }

    /// <summary>
    /// The negative control. W=1, R=1: with node1 and node2 down, node0 acknowledges writes alone; then node0
    /// is SIGKILLed and its storage destroyed (the node id kept, so it rejoins as itself with an empty disk)
    /// before the others ever got a copy. The same run, heal, final read and checker must report lost writes.
    /// </summary>
    [Fact]
    public async Task TheCheckerReportsLostWritesWhenTheOnlyCopyOfAcknowledgedWritesIsDestroyed()
    {
        var seed = ReliabilitySettings.Seed(out var origin);
        output.WriteLine($"seed {seed} ({origin})");
        await using var cluster = await StandaloneCluster.StartAsync(new StandaloneClusterOptions
        {
            NodeCount = 3,
            Settings = FastRepair(CrashSafetyTests.Quorum(3, 1, 1)),
        });

        cluster[1].Kill();
        cluster[2].Kill();
        var run = new HistoryRun(cluster, seed, output.WriteLine);
        await run.RunAsync(new WorkloadOptions { KeyPrefix = $"neg{seed}", Coordinators = [0], Clients = 3 }, TimeSpan.FromSeconds(3), [], healAfter: false);

        cluster[0].Kill();
        run.History.Nemesis("node0 killed and its storage destroyed (node-id kept)");
        foreach (var entry in Directory.EnumerateFileSystemEntries(cluster[0].DataDir).Where(e => Path.GetFileName(e) != "node-id"))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        await run.HealAndConvergeAsync(ConvergenceTimeout);
        var final = await run.ReadFinalStateAsync();
        var result = run.Check(final, checkStaleReads: false);

        output.WriteLine(result.Summary());
        output.WriteLine(result.Describe(run.History, maxFindings: 1));
        Assert.True(result.AcknowledgedPuts > 0, $"seed {seed}: the workload acknowledged no put at all. {cluster.DescribeLogs()}");
        Assert.False(result.IsValid, $"seed {seed}: the checker found nothing although every acknowledged write was destroyed: {result.Summary()}");
        Assert.NotEmpty(result.Of(History.FindingKind.LostWrite));
    }
}
