using DynamoKad.Kademlia;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace DynamoKad.Transport.Faults;

/// <summary>
/// The client half of fault injection, one per peer channel (it knows the address it dials): a cut or dropped
/// call fails at once with UNAVAILABLE without leaving the node, latency is waited before the call is sent, and
/// every call carries this node's id (<see cref="FaultInjector.NodeMetadataKey"/>) for the callee's own faults.
/// The callee's id in the answer's trailers teaches the injector who lives at this address.
/// </summary>
public sealed class FaultClientInterceptor(string address, FaultInjector injector) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (injector.CheckOutgoing(address) is { } reason)
        {
            return Failed<TResponse>(reason);
        }

        context = WithNodeId(context);
        if (injector.Current.LatencyMs <= 0)
        {
            var call = continuation(request, context);
            return new AsyncUnaryCall<TResponse>(
                ObserveAsync(call), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
        }

        return Delayed(request, context, continuation);
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (injector.CheckOutgoing(address) is { } reason)
        {
            throw Unavailable(reason);
        }

        injector.DelayAsync(context.Options.CancellationToken).GetAwaiter().GetResult();
        return continuation(request, WithNodeId(context));
    }

    // Node-to-node traffic is unary; streaming calls get the cut and drop checks (no latency) and the node id.
    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        injector.CheckOutgoing(address) is { } reason ? throw Unavailable(reason) : continuation(WithNodeId(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        injector.CheckOutgoing(address) is { } reason ? throw Unavailable(reason) : continuation(request, WithNodeId(context));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        injector.CheckOutgoing(address) is { } reason ? throw Unavailable(reason) : continuation(WithNodeId(context));

    private static RpcException Unavailable(string reason) =>
        new(new Status(StatusCode.Unavailable, $"fault injection: {reason}"));

    private static AsyncUnaryCall<TResponse> Failed<TResponse>(string reason)
    {
        var error = Unavailable(reason);
        return new AsyncUnaryCall<TResponse>(
            Task.FromException<TResponse>(error), Task.FromResult(new Metadata()), () => error.Status, () => [], () => { });
    }

    private AsyncUnaryCall<TResponse> Delayed<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        where TRequest : class
        where TResponse : class
    {
        var inner = new TaskCompletionSource<AsyncUnaryCall<TResponse>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var disposed = new CancellationTokenSource();

        async Task<TResponse> RunAsync()
        {
            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.Options.CancellationToken, disposed.Token);
                await injector.DelayAsync(linked.Token);
            }
            catch (OperationCanceledException ex)
            {
                var cancelled = new RpcException(new Status(StatusCode.Cancelled, "cancelled during injected latency", ex));
                inner.TrySetException(cancelled);
                throw cancelled;
            }

            var call = continuation(request, context);
            inner.TrySetResult(call);
            return await ObserveAsync(call);
        }

        async Task<Metadata> HeadersAsync() => await (await inner.Task).ResponseHeadersAsync;

        var response = RunAsync();
        return new AsyncUnaryCall<TResponse>(
            response,
            HeadersAsync(),
            () => inner.Task.IsCompletedSuccessfully ? inner.Task.Result.GetStatus() : new Status(StatusCode.Cancelled, "the call was not sent yet"),
            () => inner.Task.IsCompletedSuccessfully ? inner.Task.Result.GetTrailers() : [],
            () =>
            {
                disposed.Cancel();
                if (inner.Task.IsCompletedSuccessfully)
                {
                    inner.Task.Result.Dispose();
                }
            });
    }

    /// <summary>Learns the callee's id from the trailers; an answer from a peer that turns out to be blocked is discarded.</summary>
    private async Task<TResponse> ObserveAsync<TResponse>(AsyncUnaryCall<TResponse> call)
    {
        TResponse response;
        try
        {
            response = await call.ResponseAsync;
        }
        catch (RpcException ex)
        {
            Learn(ex.Trailers);
            throw;
        }

        if (Learn(call.GetTrailers()) is { } callee && injector.IsBlocked(callee))
        {
            throw Unavailable($"the link to {callee.ToShortString()} is cut");
        }

        return response;
    }

    private NodeId? Learn(Metadata trailers)
    {
        var callee = FaultInjector.NodeIn(trailers);
        if (callee is { } id)
        {
            injector.LearnPeer(address, id);
        }

        return callee;
    }

    private ClientInterceptorContext<TRequest, TResponse> WithNodeId<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class
        where TResponse : class
    {
        var headers = new Metadata();
        if (context.Options.Headers is { } existing)
        {
            foreach (var entry in existing)
            {
                if (!string.Equals(entry.Key, FaultInjector.NodeMetadataKey, StringComparison.OrdinalIgnoreCase))
                {
                    headers.Add(entry);
                }
            }
        }

        headers.Add(FaultInjector.NodeMetadataKey, injector.Self.ToString());
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
    }
}
