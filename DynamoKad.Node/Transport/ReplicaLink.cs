using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using DynamoKad.Kademlia;
using Google.Protobuf;

namespace DynamoKad.Transport;

/// <summary>
/// The replica link's wire format (specs/v1/replica.proto, above <c>ReplicaLinkHello</c>): an 8-byte preamble, then
/// messages as a 4-byte big-endian length and the message's bytes. Both ends of a link use these helpers.
/// </summary>
internal static class ReplicaLink
{
    /// <summary>A message longer than this ends the connection (the gRPC channels' message limit).</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    private const int LengthBytes = 4;

    /// <summary>What a caller sends first: "DKLINK01". No HTTP/2 connection starts with it (that starts "PRI *").</summary>
    public static ReadOnlySpan<byte> Preamble => "DKLINK01"u8;

    /// <summary>Whether <paramref name="buffer"/>'s first bytes are the preamble; null while too few bytes have arrived to tell.</summary>
    public static bool? StartsWithPreamble(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> head = stackalloc byte[Preamble.Length];
        var have = (int)Math.Min(buffer.Length, head.Length);
        buffer.Slice(0, have).CopyTo(head);
        if (!head[..have].SequenceEqual(Preamble[..have]))
        {
            return false;
        }

        return have == Preamble.Length ? true : null;
    }

    /// <summary>
    /// TCP keep-alive on a link's socket, both ends: a peer that vanished without closing (power loss, a cut cable)
    /// is noticed after about 40 s of silence, as the gRPC channels' HTTP/2 pings notice it (30 s, then 10 s).
    /// </summary>
    public static void KeepAlive(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 5);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 2);
    }

    /// <summary>Writes <paramref name="message"/> length-prefixed into <paramref name="writer"/> (not flushed).</summary>
    public static void Write(PipeWriter writer, IMessage message)
    {
        var size = message.CalculateSize();
        if (size > MaxMessageBytes)
        {
            throw new InvalidOperationException($"a replica link message of {size} bytes is over the {MaxMessageBytes}-byte limit");
        }

        var span = writer.GetSpan(LengthBytes + size);
        BinaryPrimitives.WriteInt32BigEndian(span, size);
        message.WriteTo(span.Slice(LengthBytes, size));
        writer.Advance(LengthBytes + size);
    }

    /// <summary>
    /// Takes one whole message off the front of <paramref name="buffer"/>, or returns false when it has not all arrived.
    /// A length over the limit or bytes that do not parse throw <see cref="InvalidDataException"/>.
    /// </summary>
    public static bool TryRead<T>(ref ReadOnlySequence<byte> buffer, MessageParser<T> parser, out T message)
        where T : IMessage<T>
    {
        message = default!;
        if (buffer.Length < LengthBytes)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[LengthBytes];
        buffer.Slice(0, LengthBytes).CopyTo(prefix);
        var size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (size is < 0 or > MaxMessageBytes)
        {
            throw new InvalidDataException($"a replica link message announced {size} bytes (at most {MaxMessageBytes})");
        }

        if (buffer.Length < LengthBytes + size)
        {
            return false;
        }

        var body = buffer.Slice(LengthBytes, size);
        try
        {
            message = parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"a replica link message of {size} bytes does not parse as {typeof(T).Name}: {ex.Message}", ex);
        }

        buffer = buffer.Slice(body.End);
        return true;
    }

    /// <summary>Reads the next whole message from <paramref name="reader"/>; null when the other end closed the connection.</summary>
    public static async ValueTask<T?> ReadAsync<T>(PipeReader reader, MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryRead(ref buffer, parser, out var message))
            {
                reader.AdvanceTo(buffer.Start);
                return message;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                reader.AdvanceTo(buffer.End);
                if (buffer.Length > 0)
                {
                    throw new IOException($"the replica link ended inside a message ({buffer.Length} bytes of it arrived)");
                }

                return null;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Writes and flushes one message; false when the other end is gone.</summary>
    public static async ValueTask WriteAndFlushAsync(PipeWriter writer, IMessage message, CancellationToken cancellationToken)
    {
        Write(writer, message);
        var flushed = await writer.FlushAsync(cancellationToken);
        if (flushed.IsCompleted || flushed.IsCanceled)
        {
            throw new IOException("the replica link is closed");
        }
    }
}

/// <summary>What a node presents when it opens a replica link: its own id and the cluster secret (null when none).</summary>
public sealed record ReplicaLinkCredentials(NodeId Self, string? Secret);
