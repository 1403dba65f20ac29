using System.Collections.Frozen;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace DynamoKad.Transport.Faults;

/// <summary>
/// The server half of fault injection, on node-to-node services only (Replica, Kademlia): calls from a blocked
/// peer, to an isolated node or picked by the drop rate are refused with UNAVAILABLE, and the rest wait the
/// injected latency. Admin stays reachable (it is how a node is healed) and so does the client API (KeyValue):
/// a partitioned node still coordinates requests, and they fail or succeed by its own links, as in Dynamo.
/// Every node-to-node answer names this node in its trailers so callers learn who lives at an address.
/// </summary>
internal sealed class FaultServerInterceptor(FaultInjector injector) : Interceptor
{
    public static readonly FrozenSet<string> NodeToNodeServices = new[]
    {
        Protos.V1.Replica.Descriptor.FullName,
        Protos.V1.Kademlia.Descriptor.FullName,
    }.ToFrozenSet(StringComparer.Ordinal);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        // The client API and Admin pass straight through: no await, no state machine on every client request.
        var applied = ApplyAsync(context);
        return applied.IsCompletedSuccessfully ? continuation(request, context) : AfterAsync(applied, request, context, continuation);

        static async Task<TResponse> AfterAsync(Task applied, TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        {
            await applied;
            return await continuation(request, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await ApplyAsync(context);
        return await continuation(requestStream, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await ApplyAsync(context);
        await continuation(request, responseStream, context);
    }

    // The replica stream: refused when cut, but never delayed as a whole; its session delays each frame on its own.
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        _ = ApplyAsync(context, delay: false);
        return continuation(requestStream, responseStream, context);
    }

    private Task ApplyAsync(ServerCallContext context, bool delay = true)
    {
        if (!Security.ClusterSecretServerInterceptor.IsIn(NodeToNodeServices, context.Method))
        {
            return Task.CompletedTask;
        }

        context.ResponseTrailers.Add(FaultInjector.NodeMetadataKey, injector.Self.ToString());
        if (injector.CheckIncoming(FaultInjector.NodeIn(context.RequestHeaders)) is { } reason)
        {
            throw new RpcException(
                new Status(StatusCode.Unavailable, $"fault injection: {reason}"),
                new Metadata { { FaultInjector.NodeMetadataKey, injector.Self.ToString() } });
        }

        return delay ? injector.DelayAsync(context.CancellationToken) : Task.CompletedTask;
    }
}
