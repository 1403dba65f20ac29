using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace DynamoKad.Telemetry;

/// <summary>
/// Counts every unary gRPC call this node serves by service, method and status code, with its duration.
/// Registered first, so it is outermost and also sees calls that a later interceptor (the cluster secret,
/// fault injection) refuses.
/// </summary>
public sealed class RpcMetricsInterceptor(TimeProvider time) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var started = time.GetTimestamp();
        var status = StatusCode.Unknown;
        try
        {
            var response = await continuation(request, context);
            status = context.Status.StatusCode;
            return response;
        }
        catch (RpcException ex)
        {
            status = ex.StatusCode;
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            status = StatusCode.Cancelled;
            throw;
        }
        finally
        {
            Record(context.Method, status, time.GetElapsedTime(started));
        }
    }

    /// <summary>Records one call of <paramref name="method"/> ("/package.Service/Method").</summary>
    public static void Record(string method, StatusCode status, TimeSpan elapsed)
    {
        var slash = method.LastIndexOf('/');
        var tags = new TagList
        {
            { "rpc.service", slash > 0 ? method[1..slash] : method },
            { "rpc.method", slash >= 0 ? method[(slash + 1)..] : method },
            { "rpc.grpc.status_code", status.ToString() },
        };
        DynamoKadMetrics.RpcRequests.Add(1, tags);
        DynamoKadMetrics.RpcDuration.Record(elapsed.TotalMilliseconds, tags);
    }
}
