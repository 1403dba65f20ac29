using System.Diagnostics;
using DynamoKad.Protos.V1;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace DynamoKad.Tests.EndToEnd;

/// <summary>
/// Breaking the real 5-node cluster the way an operator does in the Aspire dashboard: the built-in stop/start
/// commands and the DynamoKad Partition/Heal resource commands, then watching repair through the replica
/// inspector (Admin.InspectKey). Each test restores the cluster in <c>finally</c>.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class FaultEndToEndTests(FiveNodeClusterFixture cluster, ITestOutputHelper output) : IClassFixture<FiveNodeClusterFixture>
{
    private const string PartitionCommand = "dynamokad-partition";
    private const string HealCommand = "dynamokad-heal";
    private static readonly TimeSpan RepairBound = TimeSpan.FromSeconds(90);

    private static DateTime Deadline => DateTime.UtcNow.AddSeconds(15);

    [Fact]
    public async Task AValuePutThroughNode0IsReadThroughNode3()
    {
        var key = ByteString.CopyFromUtf8("five-" + Guid.NewGuid().ToString("N"));
        await KeyValue("node0").PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("hello") }, deadline: Deadline);

        var got = await KeyValue("node3").GetAsync(new GetRequest { Key = key }, deadline: Deadline);
        Assert.Equal("hello", Assert.Single(got.Siblings).Value.ToStringUtf8());
    }

    [Fact]
    public async Task WritesWhileAReplicaIsStoppedReachItThroughHintedHandoffOnceItIsBack()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var key = ByteString.CopyFromUtf8("hinted-" + Guid.NewGuid().ToString("N"));
        var names = await NodeNamesByIdAsync();
        var preferred = (await InspectAsync("node0", key)).Replicas.Where(r => r.Preferred).Select(r => r.NodeId).ToList();
        var victimId = preferred.First(id => names[id] != "node0");
        var victim = names[victimId];
        output.WriteLine($"key {key.ToStringUtf8()}: replicas {string.Join(", ", preferred.Select(id => names[id]))}; stopping {victim}");

        await cluster.StopResourceAsync(victim, cts.Token);
        try
        {
            string? context = null;
            for (var i = 1; i <= 3; i++)
            {
                // W=2 (the AppHost default): the two live replicas acknowledge, a fallback keeps a hint for the victim.
                var put = await KeyValue("node0").PutAsync(
                    new PutRequest { Key = key, Value = ByteString.CopyFromUtf8($"v{i}"), Context = context ?? string.Empty }, deadline: Deadline);
                context = put.Context;
            }

            await EventuallyAsync(
                "a hint for the stopped replica",
                async () => (await InspectAsync("node0", key)).Hints.Any(h => h.TargetNodeId == victimId),
                TimeSpan.FromSeconds(30),
                cts.Token);
        }
        finally
        {
            await cluster.StartResourceAsync(victim, cts.Token);
        }

        var watch = Stopwatch.StartNew();
        await EventuallyAsync(
            $"{victim} holding v3 and no hint left for it",
            async () =>
            {
                var inspection = await InspectAsync("node0", key);
                var holding = inspection.Replicas.FirstOrDefault(r => r.NodeId == victimId);
                return holding is { Reachable: true }
                    && holding.Versions.Count == 1
                    && holding.Versions[0].Value.ToStringUtf8() == "v3"
                    && !inspection.Hints.Any(h => h.TargetNodeId == victimId);
            },
            RepairBound,
            cts.Token);
        output.WriteLine($"{victim} received the hinted writes {watch.Elapsed.TotalSeconds:F1} s after it was healthy again");
    }

    [Fact]
    public async Task APartitionedReplicaAndTheOthersConvergeToTheSameSiblingsAfterHeal()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var key = ByteString.CopyFromUtf8("partition-" + Guid.NewGuid().ToString("N"));
        var names = await NodeNamesByIdAsync();
        var preferred = (await InspectAsync("node0", key)).Replicas.Where(r => r.Preferred).Select(r => r.NodeId).ToList();
        var victimId = preferred.First(id => names[id] != "node0");
        var victim = names[victimId];
        output.WriteLine($"key {key.ToStringUtf8()}: replicas {string.Join(", ", preferred.Select(id => names[id]))}; partitioning {victim}");

        await ExecuteAsync(victim, PartitionCommand, cts.Token);
        try
        {
            // The cut-off side can only reach itself: W=1 there. The majority side writes with the default W=2.
            await KeyValue(victim).PutAsync(
                new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("cut-off-side"), Quorum = new Quorum { W = 1 } }, deadline: Deadline);
            await KeyValue("node0").PutAsync(
                new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("majority-side") }, deadline: Deadline);

            // The cut really holds: the resource command set the fault, and the cut-off write stayed on its side.
            var faults = await Admin(victim).GetFaultsAsync(new GetFaultsRequest(), cluster.SecretHeaders, Deadline);
            Assert.True(faults.Isolated);
            await Task.Delay(TimeSpan.FromMilliseconds(500), cts.Token);
            var majority = (await InspectAsync("node0", key)).Replicas.Where(r => r.NodeId != victimId && r.Reachable).ToList();
            Assert.NotEmpty(majority);
            Assert.All(majority, r => Assert.DoesNotContain("cut-off-side", r.Versions.Select(v => v.Value.ToStringUtf8())));
        }
        finally
        {
            await ExecuteAsync(victim, HealCommand, cts.Token);
        }

        var watch = Stopwatch.StartNew();
        string[] expected = ["cut-off-side", "majority-side"];
        await EventuallyAsync(
            "every preferred replica holding both siblings",
            async () =>
            {
                var replicas = (await InspectAsync("node0", key)).Replicas.Where(r => r.Preferred).ToList();
                return replicas.Count == 3 && replicas.All(r => r.Reachable
                    && r.Versions.Where(v => !v.Tombstone).Select(v => v.Value.ToStringUtf8()).Order().SequenceEqual(expected));
            },
            RepairBound,
            cts.Token);
        output.WriteLine($"Replicas of {key.ToStringUtf8()} converged {watch.Elapsed.TotalSeconds:F1} s after heal");

        // Anyone reading now sees both sides' writes as siblings.
        var read = await KeyValue("node1").GetAsync(new GetRequest { Key = key, Quorum = new Quorum { R = 3 } }, deadline: Deadline);
        Assert.Equal(expected, read.Siblings.Select(s => s.Value.ToStringUtf8()).Order());
    }

    [Fact]
    public async Task TheLatencyAndDropCommandsCombineAndHealClearsThem()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        const string Node = "node4";
        try
        {
            await ExecuteAsync(Node, "dynamokad-latency", cts.Token);
            await ExecuteAsync(Node, "dynamokad-drop", cts.Token);
            var faults = await Admin(Node).GetFaultsAsync(new GetFaultsRequest(), cluster.SecretHeaders, Deadline);
            Assert.Equal(200u, faults.LatencyMs);
            Assert.Equal(0.3, faults.DropRate, precision: 6);
            Assert.False(faults.Isolated);
        }
        finally
        {
            await ExecuteAsync(Node, HealCommand, cts.Token);
        }

        Assert.Equal(new FaultState(), await Admin(Node).GetFaultsAsync(new GetFaultsRequest(), cluster.SecretHeaders, Deadline));
    }

    [Fact]
    public async Task TheDashboardIsHealthyAndListsEveryNode()
    {
        Assert.True(cluster.App.ResourceNotifications.TryGetCurrentState("dashboard", out var state));
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, state.Snapshot.HealthStatus);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var html = await http.GetStringAsync(cluster.DashboardUrl);
        Assert.All(cluster.Nodes, node => Assert.Contains(node, html, StringComparison.Ordinal));
    }

    private KeyValue.KeyValueClient KeyValue(string node) => new(cluster.Channel(node));

    private Admin.AdminClient Admin(string node) => new(cluster.Channel(node));

    private async Task<KeyInspection> InspectAsync(string node, ByteString key) =>
        await Admin(node).InspectKeyAsync(new InspectKeyRequest { Key = key }, cluster.SecretHeaders, Deadline);

    private async Task<Dictionary<string, string>> NodeNamesByIdAsync()
    {
        var names = new Dictionary<string, string>();
        foreach (var node in cluster.Nodes)
        {
            var info = await Admin(node).GetNodeInfoAsync(new GetNodeInfoRequest(), cluster.SecretHeaders, Deadline);
            names[info.NodeId] = node;
        }

        return names;
    }

    private async Task ExecuteAsync(string resource, string command, CancellationToken cancellationToken)
    {
        var result = await cluster.App.ResourceCommands.ExecuteCommandAsync(resource, command, cancellationToken)
            .WaitAsync(AspireClusterFixture.OperationTimeout, cancellationToken);
        Assert.True(result.Success, $"{command} on {resource}: {result.Message}");
    }

    /// <summary>Polls <paramref name="condition"/> (every 250 ms; RPC failures count as "not yet") until it holds or <paramref name="bound"/> passes.</summary>
    private static async Task EventuallyAsync(string what, Func<Task<bool>> condition, TimeSpan bound, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        Exception? last = null;
        while (watch.Elapsed < bound)
        {
            try
            {
                if (await condition().WaitAsync(TimeSpan.FromSeconds(20), cancellationToken))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is RpcException or TimeoutException)
            {
                last = ex;
            }

            await Task.Delay(250, cancellationToken);
        }

        Assert.Fail($"Not within {bound.TotalSeconds} s: {what}. Last error: {last?.Message ?? "none"}");
    }
}
