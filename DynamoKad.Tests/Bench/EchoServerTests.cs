using System.Text.Json;
using DynamoKad.Tests.Cli;
using DynamoKad.Tests.Support;

namespace DynamoKad.Tests.Bench;

[Trait("Category", "MultiProcess")]
public sealed class EchoServerTests
{
    [Fact]
    public async Task SigtermStopsTheEchoServerAfterItServed()
    {
        var endpoint = $"127.0.0.1:{FreePorts.Next()}";
        await using var server = NodeProcess.Start(["bench", "echo-server", "--listen", endpoint]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!server.Output.Contains("echo server listening", StringComparison.Ordinal))
        {
            Assert.False(server.HasExited, $"the echo server exited before it listened:\n{server.Output}");
            Assert.True(DateTime.UtcNow < deadline, $"the echo server did not start within 60 s:\n{server.Output}");
            await Task.Delay(100);
        }

        var (benchExit, benchOutput) = await NodeProcess.RunAsync(
            "bench", "--target", "echo", "--endpoint", $"http://{endpoint}", "--concurrency", "2", "--duration", "1", "--warmup", "1");
        Assert.True(benchExit == 0, benchOutput);
        using var result = JsonDocument.Parse(benchOutput.TrimEnd().Split('\n')[^1]);
        Assert.True(result.RootElement.GetProperty("ops").GetInt64() > 0, benchOutput);
        Assert.Equal(0, result.RootElement.GetProperty("errors").GetInt64());

        // As compare.sh and any orchestrator stop it; before the fix it kept serving until SIGKILL.
        var exitCode = await server.TerminateAsync(TimeSpan.FromSeconds(15));
        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{server.Output}");
    }
}
