using System.Net;
using System.Text.Json;
using DynamoKad.Bench;
using DynamoKad.Tests.Cli;
using DynamoKad.Tests.Support;

namespace DynamoKad.Tests.Bench;

/// <summary>The one-hop floor of compare.sh: an echo relayed over a batched TCP link to a frame echo and back.</summary>
public sealed class RelayFloorTests
{
    [Fact]
    public async Task EveryConcurrentRoundTripComesBackAndAFailedLinkFailsTheRestInsteadOfHanging()
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, FreePorts.Next());
        using var stop = new CancellationTokenSource();
        var server = Task.Run(() => FrameEchoServer.RunAsync(endpoint, stop.Token));
        var link = await ConnectWhenListeningAsync(endpoint);

        // Bursts of many sizes, so frames share writes and reads and some are split across reads.
        var payloads = Enumerable.Range(0, 2_000).Select(i => new byte[(i * 37) % 5_000 + 1]).ToArray();
        var trips = payloads.Select(p => Task.Run(() => link.RoundTripAsync(p))).ToArray();
        var all = Task.WhenAll(trips);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.All(trips, t => Assert.True(t.IsCompletedSuccessfully));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => link.RoundTripAsync(new byte[64 * 1024 + 1]));

        // The frame echo stops: its connection closes, and every later round trip fails at once.
        await stop.CancelAsync();
        Assert.Equal(0, await server.WaitAsync(TimeSpan.FromSeconds(10)));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        Exception? failure = null;
        while (failure is null && DateTime.UtcNow < deadline)
        {
            var trip = link.RoundTripAsync(new byte[10]);
            var finished = await Task.WhenAny(trip, Task.Delay(TimeSpan.FromSeconds(5)));
            Assert.Same(trip, finished);
            failure = trip.Exception?.InnerException;
        }

        Assert.IsType<IOException>(failure);
        await link.DisposeAsync();
    }

    [Fact]
    [Trait("Category", "MultiProcess")]
    public async Task TheEchoServerRelaysThroughAFrameEchoAndBothStopOnSigterm()
    {
        var frames = $"127.0.0.1:{FreePorts.Next()}";
        var echo = $"127.0.0.1:{FreePorts.Next()}";
        await using var frameEcho = NodeProcess.Start(["bench", "frame-echo", "--listen", frames]);
        await WaitForAsync(frameEcho, "frame echo listening");
        await using var relay = NodeProcess.Start(["bench", "echo-server", "--listen", echo, "--relay", frames]);
        await WaitForAsync(relay, "relaying every echo through the frame echo");

        await AssertEchoesServedAsync(echo, concurrency: 8);

        Assert.Equal(0, await relay.TerminateAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(0, await frameEcho.TerminateAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    [Trait("Category", "MultiProcess")]
    public async Task AnEchoServerRelaysThroughTheFrameEchoItServesItself()
    {
        // A ring of one: `--frame-echo` serves in the echo server's process, and the relay waits for it to listen.
        var frames = $"127.0.0.1:{FreePorts.Next()}";
        var echo = $"127.0.0.1:{FreePorts.Next()}";
        await using var server = NodeProcess.Start(["bench", "echo-server", "--listen", echo, "--relay", frames, "--frame-echo", frames]);
        await WaitForAsync(server, $"serving a frame echo on {frames}");

        await AssertEchoesServedAsync(echo, concurrency: 8);
        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task ARelayThatIsNotAnEndpointIsRefusedByName()
    {
        var (exit, output) = await NodeProcess.RunAsync("bench", "echo-server", "--listen", "127.0.0.1:1", "--relay", "nowhere");
        Assert.Equal(2, exit);
        Assert.Contains("--relay is not a host:port: nowhere", output, StringComparison.Ordinal);

        (exit, output) = await NodeProcess.RunAsync("bench", "echo-server", "--listen", "127.0.0.1:1", "--frame-echo", "127.0.0.1");
        Assert.Equal(2, exit);
        Assert.Contains("--frame-echo is not a host:port: 127.0.0.1", output, StringComparison.Ordinal);
    }

    private static async Task<RelayLink> ConnectWhenListeningAsync(IPEndPoint endpoint)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                return await RelayLink.ConnectAsync(endpoint, CancellationToken.None);
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>A short `bench --target echo` run against <paramref name="endpoint"/> serves calls, without errors.</summary>
    internal static async Task AssertEchoesServedAsync(string endpoint, int concurrency)
    {
        var (benchExit, benchOutput) = await NodeProcess.RunAsync(
            "bench", "--target", "echo", "--endpoint", $"http://{endpoint}", "--concurrency", $"{concurrency}", "--duration", "1", "--warmup", "1");
        Assert.True(benchExit == 0, benchOutput);
        using var result = JsonDocument.Parse(benchOutput.TrimEnd().Split('\n')[^1]);
        Assert.True(result.RootElement.GetProperty("ops").GetInt64() > 0, benchOutput);
        Assert.Equal(0, result.RootElement.GetProperty("errors").GetInt64());
    }

    /// <summary>Waits until <paramref name="process"/> has printed <paramref name="line"/> (up to 60 s), failing if it exits first.</summary>
    internal static async Task WaitForAsync(NodeProcess process, string line)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!process.Output.Contains(line, StringComparison.Ordinal))
        {
            Assert.False(process.HasExited, $"exited before it listened:\n{process.Output}");
            Assert.True(DateTime.UtcNow < deadline, $"did not start within 60 s:\n{process.Output}");
            await Task.Delay(100);
        }
    }
}
