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
    public static async Task<int> RunAsync(IPEndPoint listen, IPEndPoint? relayTo, CancellationToken cancellationToken)
    {
        await using var relay = relayTo is null ? null : await RelayLink.ConnectAsync(relayTo, cancellationToken);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(listen, options => options.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(_ => new EchoGrpcService(relay));
        await using var app = builder.Build();
        app.MapGrpcService<EchoGrpcService>();
        await app.StartAsync(cancellationToken);
        await Console.Out.WriteLineAsync(relayTo is null
            ? $"echo server listening on http://{listen}"
            : $"echo server listening on http://{listen}, relaying every echo through the frame echo at {relayTo}");

        // Until the host is told to stop (SIGTERM or Ctrl+C through its console lifetime) or the command is
        // cancelled, then stops it. Waiting on the command's token alone missed SIGTERM: the host's lifetime
        // takes that signal, and the server kept running until SIGKILL.
        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }
}
