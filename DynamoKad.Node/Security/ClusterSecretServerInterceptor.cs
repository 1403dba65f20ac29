using System.Collections.Frozen;
using DynamoKad.Protos.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace DynamoKad.Security;

/// <summary>
/// Refuses node-to-node (Replica, Kademlia) and Admin calls that do not carry the cluster secret, with
/// UNAUTHENTICATED and a log line naming the caller. The client API (KeyValue), gRPC health checking and
/// server reflection stay open: clients are not cluster members.
/// </summary>
internal sealed class ClusterSecretServerInterceptor(ClusterSecret secret, ILogger<ClusterSecretServerInterceptor> logger) : Interceptor
{
    /// <summary>The services only cluster members and operators may call.</summary>
    public static readonly FrozenSet<string> ProtectedServices = new[]
    {
        Protos.V1.Replica.Descriptor.FullName,
        Protos.V1.Kademlia.Descriptor.FullName,
        Admin.Descriptor.FullName,
    }.ToFrozenSet(StringComparer.Ordinal);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    /// <summary>The service part of a gRPC method path: "dynamokad.v1.Replica" for "/dynamokad.v1.Replica/Write".</summary>
    public static ReadOnlySpan<char> ServiceOf(string method)
    {
        var start = method.StartsWith('/') ? 1 : 0;
        var slash = method.IndexOf('/', start);
        return slash < 0 ? method.AsSpan(start) : method.AsSpan(start, slash - start);
    }

    /// <summary>Whether <paramref name="method"/> belongs to one of <paramref name="services"/>, without allocating.</summary>
    public static bool IsIn(FrozenSet<string> services, string method) =>
        services.GetAlternateLookup<ReadOnlySpan<char>>().Contains(ServiceOf(method));

    private void Authenticate(ServerCallContext context)
    {
        if (!secret.IsConfigured || !IsIn(ProtectedServices, context.Method))
        {
            return;
        }

        var presented = context.RequestHeaders.GetValue(ClusterSecret.MetadataKey);
        if (secret.Matches(presented))
        {
            return;
        }

        var reason = presented is null ? "no cluster secret" : "a wrong cluster secret";
        logger.LogWarning("Refused {Method} from {Peer}: the call carried {Reason} (metadata {Header})",
            context.Method, context.Peer, reason, ClusterSecret.MetadataKey);
        throw new RpcException(new Status(
            StatusCode.Unauthenticated,
            $"{context.Method} requires the cluster secret in the '{ClusterSecret.MetadataKey}' metadata; the call carried {reason}."));
    }
}
