using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using KademliaClient = DynamoKad.Protos.V1.Kademlia.KademliaClient;

namespace DynamoKad.Transport;

/// <summary>
/// <see cref="IKademliaNetwork"/> over the <c>Kademlia</c> gRPC service of specs/v1: one channel per
/// peer from <see cref="PeerChannelPool"/>, a deadline of <see cref="KademliaOptions.RpcTimeoutMs"/> on
/// every call, and no retries (the lookup decides what to ask again). Any failure of a call (deadline,
/// unreachable peer, error status, a reply from a different node than the one meant) is reported as
/// "no answer" (null), as the seam requires.
/// </summary>
public sealed class GrpcKademliaNetwork : IKademliaNetwork
{
    private readonly PeerChannelPool _pool;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly ILogger<GrpcKademliaNetwork> _logger;

    public GrpcKademliaNetwork(PeerChannelPool pool, IOptions<KademliaOptions> options, TimeProvider time, ILogger<GrpcKademliaNetwork> logger)
    {
        _pool = pool;
        _time = time;
        _timeout = options.Value.RpcTimeout;
        _logger = logger;
    }

    public async ValueTask<Contact?> PingAsync(Contact sender, string address, CancellationToken cancellationToken)
    {
        var reply = await CallAsync(address, "Ping", (client, deadline) =>
            client.PingAsync(new PingRequest { Sender = sender.ToProto() }, deadline: deadline, cancellationToken: cancellationToken), cancellationToken);
        return reply is not null && KademliaProtoMapping.TryToContact(reply.Responder, out var responder) ? responder : null;
    }

    public async ValueTask<IReadOnlyList<Contact>?> FindNodeAsync(Contact sender, Contact recipient, NodeId target, CancellationToken cancellationToken)
    {
        var reply = await CallAsync(recipient.Address, "FindNode", (client, deadline) =>
            client.FindNodeAsync(new FindNodeRequest { Sender = sender.ToProto(), Target = target.ToProto() }, deadline: deadline, cancellationToken: cancellationToken), cancellationToken);
        return reply is not null && IsFrom(reply.Responder, recipient) ? KademliaProtoMapping.ToContacts(reply.Closest) : null;
    }

    public async ValueTask<bool?> StoreAsync(Contact sender, Contact recipient, NodeId key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var request = new StoreRequest
        {
            Sender = sender.ToProto(),
            Key = key.ToProto(),
            Value = ByteString.CopyFrom(value.Span),
            TtlMs = (long)ttl.TotalMilliseconds,
        };
        var reply = await CallAsync(recipient.Address, "Store", (client, deadline) =>
            client.StoreAsync(request, deadline: deadline, cancellationToken: cancellationToken), cancellationToken);
        return reply?.Stored;
    }

    public async ValueTask<FindValueResult?> FindValueAsync(Contact sender, Contact recipient, NodeId key, CancellationToken cancellationToken)
    {
        var reply = await CallAsync(recipient.Address, "FindValue", (client, deadline) =>
            client.FindValueAsync(new FindValueRequest { Sender = sender.ToProto(), Key = key.ToProto() }, deadline: deadline, cancellationToken: cancellationToken), cancellationToken);
        if (reply is null || !IsFrom(reply.Responder, recipient))
        {
            return null;
        }

        return reply.Found
            ? new FindValueResult(reply.Value.ToByteArray(), TimeSpan.FromMilliseconds(reply.TtlMs), [])
            : new FindValueResult(null, TimeSpan.Zero, KademliaProtoMapping.ToContacts(reply.Closest));
    }

    // A different node now answering at the address is not the contact the caller meant to reach.
    private static bool IsFrom(NodeContact? responder, Contact recipient) =>
        KademliaProtoMapping.TryToContact(responder, out var contact) && contact.Id == recipient.Id;

    private async Task<TReply?> CallAsync<TReply>(
        string address,
        string method,
        Func<KademliaClient, DateTime, AsyncUnaryCall<TReply>> call,
        CancellationToken cancellationToken)
        where TReply : class
    {
        try
        {
            var client = new KademliaClient(_pool.GetInvoker(address));
            return await call(client, _time.GetUtcNow().UtcDateTime + _timeout);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogDebug("Kademlia {Method} to {Address} got no answer: {Status}", method, address, ex.Status);
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or UriFormatException or ArgumentException
                                   && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogDebug(ex, "Kademlia {Method} to {Address} could not be sent", method, address);
            return null;
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }
}
