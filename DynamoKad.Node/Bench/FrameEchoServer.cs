using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace DynamoKad.Bench;

/// <summary>
/// <c>bench frame-echo</c>: the far end of <see cref="RelayLink"/>. Sends every complete frame it reads straight
/// back, all the frames of one read in one write: the least a replica peer can do per item.
/// </summary>
internal static class FrameEchoServer
{
    /// <summary>The <c>bench frame-echo</c> command: serves until SIGTERM, Ctrl+C or the command's cancellation.</summary>
    public static async Task<int> RunAsync(IPEndPoint listen, CancellationToken cancellationToken)
    {
        // No host takes the signals here (the command line leaves them to the node's host): SIGTERM and Ctrl+C stop it.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        var serving = Listen(listen);
        await Console.Out.WriteLineAsync($"frame echo listening on {listen}");
        await ServeAsync(serving, stop.Token);
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    /// <summary>A listening socket on <paramref name="listen"/>, for <see cref="ServeAsync(Socket, CancellationToken)"/>.</summary>
    public static Socket Listen(IPEndPoint listen)
    {
        var listener = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(listen);
            listener.Listen(64);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Accepts and serves relay links on <paramref name="listener"/> (and then disposes it) until cancelled.</summary>
    public static async Task ServeAsync(Socket listener, CancellationToken cancellationToken)
    {
        using var owned = listener;
        try
        {
            while (true)
            {
                var connection = await listener.AcceptAsync(cancellationToken);
                connection.NoDelay = true;
                _ = ServeConnectionAsync(connection, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static async Task ServeConnectionAsync(Socket connection, CancellationToken cancellationToken)
    {
        using var _ = connection;
        var buffer = new byte[256 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var read = await connection.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                filled += read;
                var complete = 0;
                while (filled - complete >= 4)
                {
                    var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(complete));
                    if (length is < 8 or > (64 * 1024) + 8)
                    {
                        return; // not a relay link
                    }

                    if (filled - complete < 4 + length)
                    {
                        break;
                    }

                    complete += 4 + length;
                }

                if (complete > 0)
                {
                    await connection.SendAsync(buffer.AsMemory(0, complete), SocketFlags.None, cancellationToken);
                    buffer.AsSpan(complete, filled - complete).CopyTo(buffer);
                    filled -= complete;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // The relay went away or the server stops.
        }
    }
}
