using Aspire.Hosting.Testing;
using DynamoKad.Protos.V1;
using Google.Protobuf;

namespace DynamoKad.Tests.EndToEnd;

/// <summary>Each node's Prometheus endpoint, on its HTTP endpoint, after real traffic.</summary>
[Collection(AspireClusterCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class MetricsEndToEndTests(AspireClusterFixture cluster)
{
    [Fact]
    public async Task EveryNodeServesTheStoreMetricsOnItsHttpEndpoint()
    {
        var key = ByteString.CopyFromUtf8("metrics-" + Guid.NewGuid().ToString("N"));
        var client = new KeyValue.KeyValueClient(cluster.Channel("node0"));
        await client.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8("m") }, deadline: DateTime.UtcNow.AddSeconds(15));
        await client.GetAsync(new GetRequest { Key = key }, deadline: DateTime.UtcNow.AddSeconds(15));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var coordinator = await http.GetStringAsync(new Uri(cluster.App.GetEndpoint("node0", "http"), "/metrics"));
        foreach (var name in new[]
        {
            "dynamokad_kv_duration", "dynamokad_kv_siblings", "dynamokad_rpc_server_requests", "dynamokad_routing_table_size",
            "dynamokad_storage_keys", "dynamokad_hints_pending", "dynamokad_wal_fsync_batch_size", "dynamokad_wal_fsync_duration",
        })
        {
            Assert.Contains(name, coordinator, StringComparison.Ordinal);
        }

        Assert.Contains("operation=\"put\"", coordinator, StringComparison.Ordinal);
        foreach (var node in AspireClusterFixture.NodeNames)
        {
            var text = await http.GetStringAsync(new Uri(cluster.App.GetEndpoint(node, "http"), "/metrics"));
            Assert.Contains("dynamokad_routing_table_size", text, StringComparison.Ordinal);
        }
    }
}
