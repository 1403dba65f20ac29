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
        await RelayFloorTests.WaitForAsync(server, "echo server listening");
        await RelayFloorTests.AssertEchoesServedAsync(endpoint, concurrency: 2);

        // As compare.sh and any orchestrator stop it; before the fix it kept serving until SIGKILL.
        var exitCode = await server.TerminateAsync(TimeSpan.FromSeconds(15));
        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{server.Output}");
    }
}
