using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DynamoKad.Bench;

/// <summary>
/// <c>bench echo-server</c>: Kestrel and gRPC as a node configures them (HTTP/2 cleartext) serving only the
/// echo, without telemetry or logging below warnings, so that its rate is the floor of the stack itself. With a
/// relay (a <c>bench frame-echo</c>), every echo first makes one round trip to it over a <see cref="RelayLink"/>.
/// </summary>
internal static class EchoServer
{
    /// <param name="frameEcho">Also serve a frame echo here, in the same process: three such servers relaying to each other
    /// in a ring are each both an echo's coordinator and another's peer, as the nodes of a spread load are.</param>
    public static async Task<int> RunAsync(IPEndPoint listen, IPEndPoint? relayTo, IPEndPoint? frameEcho, CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var frames = frameEcho is null ? Task.CompletedTask : FrameEchoServer.ServeAsync(FrameEchoServer.Listen(frameEcho), stopping.Token);
        try
        {
            await using var relay = relayTo is null ? null : await ConnectAsync(relayTo, cancellationToken);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            // As on a node that exports nothing (AddServiceDefaults): no request Activity, so the floor stays a floor.
            builder.Logging.AddFilter(Microsoft.Extensions.Hosting.Extensions.HostingDiagnosticsCategory, LogLevel.None);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(listen, options => options.Protocols = HttpProtocols.Http2));
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(_ => new EchoGrpcService(relay));
            await using var app = builder.Build();
            app.MapGrpcService<EchoGrpcService>();
            await app.StartAsync(cancellationToken);
            await Console.Out.WriteLineAsync(
                $"echo server listening on http://{listen}"
                + (relayTo is null ? string.Empty : $", relaying every echo through the frame echo at {relayTo}")
                + (frameEcho is null ? string.Empty : $", serving a frame echo on {frameEcho}"));

            // Until the host is told to stop (SIGTERM or Ctrl+C through its console lifetime) or the command is
            // cancelled, then stops it. Waiting on the command's token alone missed SIGTERM: the host's lifetime
            // takes that signal, and the server kept running until SIGKILL.
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        }
        finally
        {
            await stopping.CancelAsync();
            await frames;
        }
    }

    /// <summary>The relay link, retried for 30 s: a ring of servers starts together, and the peer may not listen yet.</summary>
    private static async Task<RelayLink> ConnectAsync(IPEndPoint relayTo, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return await RelayLink.ConnectAsync(relayTo, cancellationToken);
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }
}
