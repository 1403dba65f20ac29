using DynamoKad.Protos.V1;

namespace DynamoKad.Tests.EndToEnd;

[Collection(AspireClusterCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class ClusterStartupTests(AspireClusterFixture cluster)
{
    [Fact]
    public async Task EveryNodeReportsADistinctIdOverGrpc()
    {
        var infos = new List<NodeInfo>();
        foreach (var node in AspireClusterFixture.NodeNames)
        {
            var admin = new Admin.AdminClient(cluster.Channel(node));
            infos.Add(await admin.GetNodeInfoAsync(new GetNodeInfoRequest(), cluster.SecretHeaders, deadline: DateTime.UtcNow.AddSeconds(10)));
        }

        Assert.Equal(AspireClusterFixture.NodeCount, infos.Select(i => i.NodeId).Distinct().Count());
        Assert.All(infos, info =>
        {
            Assert.Matches("^[0-9a-f]{40}$", info.NodeId);
            Assert.StartsWith("http://", info.Address, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(info.Version));
            Assert.True(info.Uptime.ToTimeSpan() > TimeSpan.Zero);
        });
        Assert.Equal(AspireClusterFixture.NodeNames, infos.Select(i => i.Name));
    }

    [Fact]
    public async Task ANodeKeepsItsIdAcrossStopAndStart()
    {
        using var cts = new CancellationTokenSource(AspireClusterFixture.OperationTimeout * 2);
        const string Node = "node2";
        var admin = new Admin.AdminClient(cluster.Channel(Node));
        var before = await admin.GetNodeInfoAsync(new GetNodeInfoRequest(), cluster.SecretHeaders, deadline: DateTime.UtcNow.AddSeconds(10));

        await cluster.StopResourceAsync(Node, cts.Token);
        var sinceStopped = System.Diagnostics.Stopwatch.StartNew();
        await cluster.StartResourceAsync(Node, cts.Token);

        var after = await admin.GetNodeInfoAsync(new GetNodeInfoRequest(), cluster.SecretHeaders, deadline: DateTime.UtcNow.AddSeconds(10));
        Assert.Equal(before.NodeId, after.NodeId);
        // A new process: its uptime began after we stopped the old one.
        Assert.True(after.Uptime.ToTimeSpan() < sinceStopped.Elapsed, $"uptime {after.Uptime.ToTimeSpan()} should be below {sinceStopped.Elapsed}");
    }
}
