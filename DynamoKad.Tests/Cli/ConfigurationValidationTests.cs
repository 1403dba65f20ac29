namespace DynamoKad.Tests.Cli;

/// <summary>A node started with impossible settings stops at once, naming every wrong setting on its own line.</summary>
[Trait("Category", "MultiProcess")]
public sealed class ConfigurationValidationTests
{
    [Fact]
    public async Task EveryWrongSettingIsReportedOnItsOwnLineAndTheNodeExitsWith2()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "dynamokad-config-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exitCode, output) = await NodeProcess.RunAsync(
                "serve", "--listen", $"127.0.0.1:{Api.InProcessNode.FreePort()}", "--http", $"127.0.0.1:{Api.InProcessNode.FreePort()}",
                "--data-dir", dataDir,
                "--DynamoKad:Replication:W", "9",
                "--DynamoKad:Cluster:Secret", "short",
                "--DynamoKad:Cluster:Seeds:0", "not a seed",
                "--DynamoKad:Storage:MaxValueBytes", "0");

            Assert.Equal(2, exitCode);
            var lines = output.Split('\n').Where(l => l.StartsWith("dynamokad: invalid configuration: ", StringComparison.Ordinal)).ToList();
            Assert.Contains(lines, l => l.Contains("DynamoKad:Replication:W must not exceed N (3); got 9.", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("DynamoKad:Cluster:Secret must be at least 16", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("DynamoKad:Cluster:Seeds:0 must be host:port", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("DynamoKad:Storage:MaxValueBytes", StringComparison.Ordinal));
            Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task AnUnparseableListenAddressIsReportedByName()
    {
        var (exitCode, output) = await NodeProcess.RunAsync("serve", "--listen", "nowhere", "--data-dir", Path.GetTempPath());

        Assert.Equal(2, exitCode);
        Assert.Contains("dynamokad: invalid configuration: DynamoKad:Node:Listen must be host:port", output, StringComparison.Ordinal);
    }
}
