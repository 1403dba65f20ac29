using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace DynamoKad.Bench;

/// <summary>
/// The floor of a replica hop: one TCP connection to a <see cref="FrameEchoServer"/>, frames of
/// [length][id][payload] batched the way the replica links batch (what queues while the previous write is out
/// leaves in one write, after one yield), answers completed inline on the receiving loop. No Protobuf, no
/// storage and no quorum: whatever a real hop costs over this is the node's own work.
/// </summary>
internal sealed class RelayLink : IAsyncDisposable
{
    private const int HeaderSize = 4 + 8;
    private const int MaxPayload = 64 * 1024;

    private readonly Socket _socket;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _waiting = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private ArrayBufferWriter<byte> _queued = new(64 * 1024);
    private ArrayBufferWriter<byte> _spare = new(64 * 1024);
    private bool _sending;
    private long _nextId;
    private Exception? _failure;

    private RelayLink(Socket socket)
    {
        _socket = socket;
        _receiving = ReceiveLoopAsync();
    }

    public static async Task<RelayLink> ConnectAsync(IPEndPoint peer, CancellationToken cancellationToken)
    {
        var socket = new Socket(peer.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(peer, cancellationToken);
        return new RelayLink(socket);
    }

    /// <summary>Sends <paramref name="payload"/> to the peer and completes when it has come back.</summary>
    public Task RoundTripAsync(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), payload.Length, $"A relayed payload must be at most {MaxPayload} bytes.");
        }

        var id = Interlocked.Increment(ref _nextId);
        var done = new TaskCompletionSource();
        _waiting[id] = done;
        // After the failure's sweep nobody would answer this one: fail it here (added before the sweep, it is failed there).
        if (Volatile.Read(ref _failure) is { } failure && _waiting.TryRemove(id, out _))
        {
            return Task.FromException(Failed(failure));
        }

        bool start;
        lock (_gate)
        {
            var frame = _queued.GetSpan(HeaderSize + payload.Length);
            BinaryPrimitives.WriteInt32LittleEndian(frame, 8 + payload.Length);
            BinaryPrimitives.WriteInt64LittleEndian(frame[4..], id);
            payload.CopyTo(frame[HeaderSize..]);
            _queued.Advance(HeaderSize + payload.Length);
            start = !_sending;
            _sending = true;
        }

        if (start)
        {
            _ = SendLoopAsync();
        }

        return done.Task;
    }

    private async Task SendLoopAsync()
    {
        // As the replica links do: one yield lets the requests of a burst join the frame before it leaves.
        await Task.Yield();
        try
        {
            while (true)
            {
                ArrayBufferWriter<byte> batch;
                lock (_gate)
                {
                    if (_queued.WrittenCount == 0)
                    {
                        _sending = false;
                        return;
                    }

                    batch = _queued;
                    _queued = _spare;
                    _spare = batch;
                }

                await _socket.SendAsync(batch.WrittenMemory, SocketFlags.None, _stop.Token);
                batch.Clear();
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Fail(ex);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[256 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    throw new SocketException((int)SocketError.ConnectionReset);
                }

                filled += read;
                var offset = 0;
                while (filled - offset >= 4)
                {
                    var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset));
                    if (filled - offset < 4 + length)
                    {
                        break;
                    }

                    var id = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(offset + 4));
                    offset += 4 + length;
                    if (_waiting.TryRemove(id, out var done))
                    {
                        done.TrySetResult();
                    }
                }

                buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                filled -= offset;
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Fail(ex);
        }
    }

    private void Fail(Exception ex)
    {
        Interlocked.CompareExchange(ref _failure, ex, null);
        foreach (var id in _waiting.Keys)
        {
            if (_waiting.TryRemove(id, out var done))
            {
                done.TrySetException(Failed(ex));
            }
        }
    }

    private static IOException Failed(Exception cause) => new("The relay link to the frame echo failed.", cause);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _receiving;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Stopping.
        }

        _stop.Dispose();
    }
}
