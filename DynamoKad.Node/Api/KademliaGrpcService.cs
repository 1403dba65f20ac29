using System.Diagnostics.CodeAnalysis;
using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Transport;
using Google.Protobuf;
using Grpc.Core;
using KademliaBase = DynamoKad.Protos.V1.Kademlia.KademliaBase;

namespace DynamoKad.Api;

/// <summary>The Kademlia service (specs/v1/kademlia.proto): proto in, <see cref="KademliaNode"/>, proto out.</summary>
internal sealed class KademliaGrpcService(KademliaNode node) : KademliaBase
{
    private const int MaxAddressLength = 256;

    public override Task<PingResponse> Ping(PingRequest request, ServerCallContext context)
    {
        var sender = RequireSender(request.Sender);
        return Task.FromResult(new PingResponse { Responder = node.HandlePing(sender).ToProto() });
    }

    public override Task<FindNodeResponse> FindNode(FindNodeRequest request, ServerCallContext context)
    {
        var sender = RequireSender(request.Sender);
        var target = RequireId(request.Target, "target");
        var response = new FindNodeResponse { Responder = node.Self.ToProto() };
        response.Closest.AddRange(node.HandleFindNode(sender, target).Select(c => c.ToProto()));
        return Task.FromResult(response);
    }

    public override Task<StoreResponse> Store(StoreRequest request, ServerCallContext context)
    {
        var sender = RequireSender(request.Sender);
        var key = RequireId(request.Key, "key");
        if (request.TtlMs <= 0)
        {
            ThrowInvalid($"ttl_ms must be positive; got {request.TtlMs}.");
        }

        if (request.Value.Length > KademliaNode.MaxRecordBytes)
        {
            ThrowInvalid($"value must be at most {KademliaNode.MaxRecordBytes} bytes; got {request.Value.Length}.");
        }

        var stored = node.HandleStore(sender, key, request.Value.ToByteArray(), TimeSpan.FromMilliseconds(request.TtlMs));
        return Task.FromResult(new StoreResponse { Stored = stored });
    }

    public override Task<FindValueResponse> FindValue(FindValueRequest request, ServerCallContext context)
    {
        var sender = RequireSender(request.Sender);
        var key = RequireId(request.Key, "key");
        var result = node.HandleFindValue(sender, key);
        var response = new FindValueResponse { Responder = node.Self.ToProto(), Found = result.Found };
        if (result.Value is { } value)
        {
            response.Value = ByteString.CopyFrom(value);
            response.TtlMs = (long)result.Ttl.TotalMilliseconds;
        }
        else
        {
            response.Closest.AddRange(result.Closest.Select(c => c.ToProto()));
        }

        return Task.FromResult(response);
    }

    private static Contact RequireSender(NodeContact? sender)
    {
        if (sender is null)
        {
            ThrowInvalid("sender is required: every Kademlia RPC carries the caller's contact.");
        }

        var id = RequireId(sender.Id, "sender.id");
        if (string.IsNullOrWhiteSpace(sender.Address) || sender.Address.Length > MaxAddressLength)
        {
            ThrowInvalid($"sender.address must be the caller's gRPC address (at most {MaxAddressLength} characters); got '{sender.Address}'.");
        }

        if (!Uri.TryCreate(PeerChannelPool.Normalize(sender.Address), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            ThrowInvalid($"sender.address must be http(s)://host:port or host:port; got '{sender.Address}'.");
        }

        return new Contact(id, sender.Address);
    }

    private static NodeId RequireId(ByteString bytes, string field)
    {
        if (!NodeId.TryFromBytes(bytes.Span, out var id))
        {
            ThrowInvalid($"{field} must be {NodeId.ByteLength} bytes; got {bytes.Length}.");
        }

        return id;
    }

    [DoesNotReturn]
    private static void ThrowInvalid(string message) => throw new RpcException(new Status(StatusCode.InvalidArgument, message));
}
