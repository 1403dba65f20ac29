using DynamoKad.Hosting;
using DynamoKad.Storage;
using DynamoKad.Tests.Api;

namespace DynamoKad.Tests.Cli;

[Trait("Category", "MultiProcess")]
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task SigtermFinishesFlushesAndLeavesNothingToRecover()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "dynamokad-shutdown-" + Guid.NewGuid().ToString("N"));
        var http = $"http://127.0.0.1:{InProcessNode.FreePort()}";
        try
        {
            await using var node = NodeProcess.Start(
            [
                "serve", "--listen", $"127.0.0.1:{InProcessNode.FreePort()}", "--http", http[7..], "--data-dir", dataDir,
                "--DynamoKad:Replication:N", "1", "--DynamoKad:Replication:R", "1", "--DynamoKad:Replication:W", "1",
                // No checkpoint during the test: only the shutdown itself can move the writes out of the WAL.
                "--DynamoKad:Storage:CheckpointIntervalMs", "3600000",
            ]);
            await node.WaitHealthyAsync(http, TimeSpan.FromSeconds(60));
            using (var client = new HttpClient { BaseAddress = new Uri(http) })
            {
                for (var i = 0; i < 20; i++)
                {
                    var response = await client.PutAsync($"/v1/kv/key{i}", new ByteArrayContent([(byte)i]));
                    Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
                }
            }

            var exitCode = await node.TerminateAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, $"exit code {exitCode}:\n{node.Output}");

            var id = NodeIdentity.LoadOrCreate(dataDir);
            await using var engine = StorageEngine.Open(
                new StorageOptions { DataDir = Path.Combine(dataDir, "storage") }, TimeProvider.System, id.ToByteArray());
            Assert.Equal(0, engine.RecoveredRecords);
            Assert.Equal(20, engine.GetStats().Keys);
            Assert.Single(await engine.ReadAsync("key7"u8.ToArray()));
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }
}
