using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace DynamoKad.Telemetry;

/// <summary>
/// Counts every unary gRPC call this node serves by service, method and status code, with its duration. On every
/// service but the client API, which records the same metrics itself (<see cref="Api.KeyValueGrpcService"/>), and first
/// there (<see cref="RpcMetricsServiceOptionsSetup{TOptions}"/>), so it is outermost and also sees calls that a later
/// interceptor (the cluster secret, fault injection) refuses.
/// </summary>
public sealed class RpcMetricsInterceptor(TimeProvider time) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var started = time.GetTimestamp();
        Exception? failure = null;
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            Record(context.Method, StatusOf(failure, context), time.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// The status a call ended with: the context's on success, an <see cref="RpcException"/>'s own, CANCELLED for a
    /// cancellation the caller asked for, and UNKNOWN (what grpc-dotnet answers) for any other exception.
    /// </summary>
    public static StatusCode StatusOf(Exception? failure, ServerCallContext context) =>
        failure is null ? context.Status.StatusCode : StatusOf(failure, context.CancellationToken);

    /// <summary>The status <paramref name="failure"/> ends a call (or a session request) with, served under <paramref name="cancellation"/>.</summary>
    public static StatusCode StatusOf(Exception failure, CancellationToken cancellation) => failure switch
    {
        RpcException rpc => rpc.StatusCode,
        OperationCanceledException when cancellation.IsCancellationRequested => StatusCode.Cancelled,
        _ => StatusCode.Unknown,
    };

    /// <summary>Records one call of <paramref name="method"/> ("/package.Service/Method").</summary>
    public static void Record(string method, StatusCode status, TimeSpan elapsed)
    {
        var tags = TagsFor(method, status);
        DynamoKadMetrics.RpcRequests.Add(1, tags);
        DynamoKadMetrics.RpcDuration.Record(elapsed.TotalMilliseconds, tags);
    }

    // The tags of each (method, status) are made once: splitting the method path and boxing the status for every call
    // was garbage on the path of every request.
    private static readonly ConcurrentDictionary<(string Method, StatusCode Status), KeyValuePair<string, object?>[]> Tags = new();

    private static ReadOnlySpan<KeyValuePair<string, object?>> TagsFor(string method, StatusCode status) =>
        Tags.TryGetValue((method, status), out var tags) ? tags : Tags.GetOrAdd((method, status), static key =>
        {
            var slash = key.Method.LastIndexOf('/');
            return
            [
                new("rpc.service", slash > 0 ? key.Method[1..slash] : key.Method),
                new("rpc.method", slash >= 0 ? key.Method[(slash + 1)..] : key.Method),
                new("rpc.grpc.status_code", key.Status.ToString()),
            ];
        });
}
