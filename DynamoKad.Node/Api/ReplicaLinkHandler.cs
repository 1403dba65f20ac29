using System.IO.Pipelines;
using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using DynamoKad.Security;
using DynamoKad.Telemetry;
using DynamoKad.Transport;
using DynamoKad.Transport.Faults;
using Grpc.Core;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace DynamoKad.Api;

/// <summary>
/// The callee's end of replica links (<see cref="ReplicaLink"/>), as Kestrel connection middleware on the gRPC
/// endpoint: a connection that opens with the link's preamble is served here, with the same
/// <see cref="ReplicaStreamSession"/> as a <c>Replica.Stream</c> call; any other connection (HTTP/2) goes on to
/// Kestrel untouched, its first bytes not consumed. The handshake checks the cluster secret as the gRPC
/// interceptor does (a mismatch is answered UNAUTHENTICATED, logged, and the connection closed).
/// </summary>
internal sealed class ReplicaLinkHandler(
    LocalReplica replica,
    ClusterSecret secret,
    IHostApplicationLifetime lifetime,
    ILogger<ReplicaLinkHandler> logger,
    FaultInjector? faults = null)
{
    /// <summary>A caller must finish its handshake within this long.</summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private int _open;

    /// <summary>Links being served now (past their handshake).</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>
    /// The middleware for <c>ListenOptions.Use</c>, resolving the handler at the first connection: resolving it while
    /// Kestrel is being configured would validate options (storage's, through <see cref="LocalReplica"/>) before the
    /// host validates and reports them all together.
    /// </summary>
    public static Func<ConnectionContext, Func<Task>, Task> Middleware(IServiceProvider services)
    {
        ReplicaLinkHandler? handler = null;
        return (connection, next) => (handler ??= services.GetRequiredService<ReplicaLinkHandler>()).OnConnectionAsync(connection, next);
    }

    /// <summary>Kestrel connection middleware: serves a replica link, or hands any other connection on untouched.</summary>
    public async Task OnConnectionAsync(ConnectionContext connection, Func<Task> next)
    {
        bool link;
        try
        {
            link = await PeekAsync(connection);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionAbortedException)
        {
            return; // closed before it said what it is
        }

        if (link)
        {
            await ServeAsync(connection);
        }
        else
        {
            await next();
        }
    }

    /// <summary>
    /// Whether the connection opens with the link's preamble (then consumed). Otherwise nothing is consumed or examined,
    /// so the HTTP/2 layer reads every byte again from the start.
    /// </summary>
    private static async Task<bool> PeekAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(connection.ConnectionClosed);
            var buffer = result.Buffer;
            switch (ReplicaLink.StartsWithPreamble(buffer))
            {
                case true:
                    input.AdvanceTo(buffer.GetPosition(ReplicaLink.Preamble.Length));
                    return true;
                case false:
                    input.AdvanceTo(buffer.Start);
                    return false;
                case null when result.IsCompleted:
                    input.AdvanceTo(buffer.Start);
                    return false;
                default:
                    input.AdvanceTo(buffer.Start, buffer.End); // a prefix of the preamble so far: wait for more
                    break;
            }
        }
    }

    private async Task ServeAsync(ConnectionContext connection)
    {
        var transport = connection.Transport;
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, lifetime.ApplicationStopping);
        try
        {
            ReplicaLinkHello? hello;
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token))
            {
                handshake.CancelAfter(HandshakeTimeout);
                hello = await ReplicaLink.ReadAsync(transport.Input, ReplicaLinkHello.Parser, handshake.Token);
            }

            if (hello is null)
            {
                return;
            }

            var welcome = new ReplicaLinkWelcome { Node = replica.Self.ToString() };
            if (!secret.Matches(hello.Secret.Length == 0 ? null : hello.Secret))
            {
                logger.LogWarning(
                    "Refused a replica link from {Remote} (node {Caller}): it did not present the cluster secret",
                    connection.RemoteEndPoint, hello.Node);
                welcome.Refused = new ReplicaItemStatus { Code = (int)StatusCode.Unauthenticated, Detail = "the replica link did not present the cluster secret" };
                await ReplicaLink.WriteAndFlushAsync(transport.Output, welcome, stopping.Token);
                return;
            }

            await ReplicaLink.WriteAndFlushAsync(transport.Output, welcome, stopping.Token);
            if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
            {
                ReplicaLink.KeepAlive(socket);
            }

            NodeId? caller = NodeId.TryParse(hello.Node, out var id) ? id : null;
            var session = new ReplicaStreamSession(replica, new ReplyWriter(transport.Output), caller, faults);
            Interlocked.Increment(ref _open);
            DynamoKadMetrics.ReplicaLinks.Add(1);
            try
            {
                await session.RunAsync(new FrameReader(transport.Input), stopping.Token);
            }
            finally
            {
                Interlocked.Decrement(ref _open);
                DynamoKadMetrics.ReplicaLinks.Add(-1);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidDataException or ConnectionAbortedException)
        {
            // The caller went away, this node is stopping, or the caller sent what is not a link message.
            if (ex is InvalidDataException)
            {
                logger.LogWarning("Closed a replica link from {Remote}: {Reason}", connection.RemoteEndPoint, ex.Message);
            }
        }
        finally
        {
            await transport.Output.CompleteAsync();
            await transport.Input.CompleteAsync();
        }
    }

    /// <summary>The link's frames, read as a gRPC stream's messages are, for <see cref="ReplicaStreamSession"/>.</summary>
    private sealed class FrameReader(PipeReader input) : IAsyncStreamReader<ReplicaStreamFrame>
    {
        public ReplicaStreamFrame Current { get; private set; } = null!;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            var frame = await ReplicaLink.ReadAsync(input, ReplicaStreamFrame.Parser, cancellationToken);
            if (frame is null)
            {
                return false;
            }

            Current = frame;
            return true;
        }
    }

    /// <summary>Answer frames written as a gRPC stream's messages are; the session never writes two at once.</summary>
    private sealed class ReplyWriter(PipeWriter output) : IServerStreamWriter<ReplicaStreamReply>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(ReplicaStreamReply message) => ReplicaLink.WriteAndFlushAsync(output, message, CancellationToken.None).AsTask();
    }
}
