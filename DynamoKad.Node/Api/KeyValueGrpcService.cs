using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using DynamoKad.Storage;
using DynamoKad.Telemetry;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;

namespace DynamoKad.Api;

/// <summary>
/// The client API: Put/Get/Delete mapped onto <see cref="QuorumCoordinator"/>. A bad context or quorum is
/// INVALID_ARGUMENT, a missed quorum is UNAVAILABLE (with how many replicas answered), and a missing or
/// deleted key is found=false, not an error.
/// </summary>
internal sealed class KeyValueGrpcService(
    QuorumCoordinator coordinator,
    ClientRequestLimits? limits = null,
    RequestStatistics? statistics = null,
    IHostApplicationLifetime? lifetime = null,
    ILogger<KeyValueGrpcService>? logger = null) : KeyValue.KeyValueBase
{
    private const int MaxCachedIds = 1024;
    private const string SessionMethod = "/dynamokad.v1.KeyValue/Session";

    // Optional so the service also runs in a bare test host; the node registers both (NodeApiExtensions).
    private readonly ClientRequestLimits _limits = limits ?? new(ClientRequestLimits.DefaultMaxKeyBytes, ClientRequestLimits.DefaultMaxValueBytes);
    private readonly RequestStatistics _statistics = statistics ?? new(TimeProvider.System);
    private readonly ConcurrentDictionary<NodeId, string> _idTexts = new();

    // One async frame per call: the coordinator's task is awaited, measured and mapped to a status right here, and the
    // call's RPC metrics are recorded here too (no interceptor runs on this service, see AddDynamoKadTelemetry).
    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        var started = _statistics.Timestamp();
        var coordinated = false;
        Exception? failure = null;
        try
        {
            var key = RequireKey(request.Key);
            RequireValue(request.Value);
            coordinated = true;
            return ToResponse(await coordinator.PutAsync(key, request.Value.Memory, request.Context, ToOverrides(request.Quorum), context.CancellationToken));
        }
        catch (Exception ex)
        {
            failure = ex;
            ThrowAsStatus(ex);
            throw;
        }
        finally
        {
            Ended("put", context, started, coordinated, failure);
        }
    }

    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        var started = _statistics.Timestamp();
        var coordinated = false;
        Exception? failure = null;
        try
        {
            var key = RequireKey(request.Key);
            coordinated = true;
            return ToResponse(await coordinator.GetAsync(key, ToOverrides(request.Quorum), context.CancellationToken));
        }
        catch (Exception ex)
        {
            failure = ex;
            ThrowAsStatus(ex);
            throw;
        }
        finally
        {
            Ended("get", context, started, coordinated, failure);
        }
    }

    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        var started = _statistics.Timestamp();
        var coordinated = false;
        Exception? failure = null;
        try
        {
            var key = RequireKey(request.Key);
            coordinated = true;
            return ToResponse(await coordinator.DeleteAsync(key, request.Context, ToOverrides(request.Quorum), context.CancellationToken));
        }
        catch (Exception ex)
        {
            failure = ex;
            ThrowAsStatus(ex);
            throw;
        }
        finally
        {
            Ended("delete", context, started, coordinated, failure);
        }
    }

    /// <summary>Pipelined requests on one call (<see cref="KeyValueSession"/>), each served as its unary call would be.</summary>
    public override async Task Session(IAsyncStreamReader<SessionRequests> requestStream, IServerStreamWriter<SessionResponses> responseStream, ServerCallContext context)
    {
        var started = _statistics.Timestamp();
        using var stopping = lifetime is null
            ? CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken)
            : CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        Exception? failure = null;
        try
        {
            await new KeyValueSession(this, responseStream).RunAsync(requestStream, stopping.Token);
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            RpcMetricsInterceptor.Record(SessionMethod, RpcMetricsInterceptor.StatusOf(failure, context), _statistics.Elapsed(started));
        }
    }

    /// <summary>
    /// Serves one request of a session: the same checks, coordinator call, answer and status as its unary call, with the
    /// same request statistics; its RPC metrics are recorded as method <c>Session.Put</c> / <c>.Get</c> / <c>.Delete</c>.
    /// Never throws: a failure is the answer's <see cref="SessionError"/>. The request's spans continue its traceparent
    /// when it has one, and start a trace of their own otherwise (never under the long-lived call's).
    /// </summary>
    internal async Task<SessionResponse> ServeAsync(SessionRequest request, CancellationToken cancellationToken)
    {
        var started = _statistics.Timestamp();
        var response = new SessionResponse { Id = request.Id };
        var operation = request.OperationCase;
        var coordinated = false;
        Exception? failure = null;
        // An async method's changes to the ambient span stay in it: the session's read loop keeps its own.
        Activity.Current = null;
        using var span = StartSessionSpan(request);
        try
        {
            switch (operation)
            {
                case SessionRequest.OperationOneofCase.Put:
                    var put = request.Put;
                    var putKey = RequireKey(put.Key);
                    RequireValue(put.Value);
                    coordinated = true;
                    response.Put = ToResponse(await coordinator.PutAsync(putKey, put.Value.Memory, put.Context, ToOverrides(put.Quorum), cancellationToken));
                    break;
                case SessionRequest.OperationOneofCase.Get:
                    var getKey = RequireKey(request.Get.Key);
                    coordinated = true;
                    response.Get = ToResponse(await coordinator.GetAsync(getKey, ToOverrides(request.Get.Quorum), cancellationToken));
                    break;
                case SessionRequest.OperationOneofCase.Delete:
                    var delete = request.Delete;
                    var deleteKey = RequireKey(delete.Key);
                    coordinated = true;
                    response.Delete = ToResponse(await coordinator.DeleteAsync(deleteKey, delete.Context, ToOverrides(delete.Quorum), cancellationToken));
                    break;
                default:
                    ThrowInvalidArgument($"session request {request.Id} holds no operation: set one of put, get or delete.");
                    break;
            }
        }
        catch (Exception ex)
        {
            failure = ex;
            var status = StatusFor(ex) ?? RpcMetricsInterceptor.StatusOf(ex, cancellationToken);
            if (status == StatusCode.Unknown)
            {
                // What a unary call's failure would be: logged here, and answered without the exception's own text.
                logger?.LogError(ex, "Session request {Id} ({Operation}) failed", request.Id, operation);
            }

            response.Error = new SessionError
            {
                Code = (int)status,
                Message = ex switch
                {
                    RpcException rpc => rpc.Status.Detail,
                    _ when status == StatusCode.Unknown => $"the node failed to serve the request ({ex.GetType().Name}).",
                    _ => ex.Message,
                },
            };
            span?.SetStatus(ActivityStatusCode.Error, response.Error.Message);
        }

        var (statistic, method) = SessionOperation(operation);
        if (coordinated)
        {
            _statistics.Completed(statistic!, started, failure);
        }

        RpcMetricsInterceptor.Record(method, (StatusCode)(response.Error?.Code ?? 0), _statistics.Elapsed(started));
        return response;
    }

    /// <summary>A session request's name in the request statistics (none when it holds no operation) and its RPC method.</summary>
    private static (string? Statistic, string Method) SessionOperation(SessionRequest.OperationOneofCase operation) => operation switch
    {
        SessionRequest.OperationOneofCase.Put => ("put", SessionMethod + ".Put"),
        SessionRequest.OperationOneofCase.Get => ("get", SessionMethod + ".Get"),
        SessionRequest.OperationOneofCase.Delete => ("delete", SessionMethod + ".Delete"),
        _ => (null, SessionMethod + ".None"),
    };

    /// <summary>A server span continuing the request's traceparent, when it has one and spans are recorded.</summary>
    private static Activity? StartSessionSpan(SessionRequest request)
    {
        if (request.Traceparent.Length == 0 || !DynamoKadTelemetry.Source.HasListeners()
            || !ActivityContext.TryParse(request.Traceparent, null, out var parent))
        {
            return null;
        }

        return DynamoKadTelemetry.Source.StartActivity("kv.session.request", ActivityKind.Server, parent);
    }

    private static PutResponse ToResponse(PutResult result)
    {
        var response = new PutResponse { Context = result.Context, Acks = (uint)result.Acks };
        AddSiblings(response.Siblings, result.Siblings);
        return response;
    }

    private GetResponse ToResponse(GetResult result)
    {
        var response = new GetResponse
        {
            Found = result.Found,
            Context = result.Context,
            ReplicasAnswered = (uint)result.AnsweredBy.Count,
            ReadRepairScheduled = result.ReadRepairScheduled,
        };
        foreach (var id in result.AnsweredBy)
        {
            response.AnsweredBy.Add(IdText(id));
        }

        AddSiblings(response.Siblings, result.Siblings);
        return response;
    }

    private static DeleteResponse ToResponse(DeleteResult result) => new() { Acks = (uint)result.Acks };

    /// <summary>
    /// Records one call that has just ended, with the exception it failed with (before it was mapped to a status), if
    /// any: in the request statistics when it reached the coordinator (a refused key or value is not a request of the
    /// store), and always in the <c>dynamokad.rpc.server.*</c> metrics, as <see cref="RpcMetricsInterceptor"/> records
    /// them for the other services.
    /// </summary>
    private void Ended(string operation, ServerCallContext context, long started, bool coordinated, Exception? failure)
    {
        if (coordinated)
        {
            _statistics.Completed(operation, started, failure);
        }

        var status = failure is null ? context.Status.StatusCode : StatusFor(failure) ?? RpcMetricsInterceptor.StatusOf(failure, context);
        RpcMetricsInterceptor.Record(context.Method, status, _statistics.Elapsed(started));
    }

    private static void AddSiblings(RepeatedField<Sibling> siblings, IReadOnlyList<VersionedValue> versions)
    {
        foreach (var version in versions)
        {
            siblings.Add(new Sibling { Value = UnsafeByteOperations.UnsafeWrap(version.Value), Clock = version.Clock.ToProtoClock() });
        }
    }

    /// <summary>
    /// A node id as answered_by's hex text. Reads name the same few nodes again and again, so each is formatted
    /// once (40 hex characters per replica per read otherwise); the cache is reset should ids ever pile up.
    /// </summary>
    private string IdText(NodeId id)
    {
        if (_idTexts.TryGetValue(id, out var text))
        {
            return text;
        }

        if (_idTexts.Count >= MaxCachedIds)
        {
            _idTexts.Clear();
        }

        return _idTexts[id] = id.ToString();
    }

    private static QuorumOverrides? ToOverrides(Quorum? quorum) =>
        quorum is null
            ? null
            : new QuorumOverrides(
                quorum.HasN ? ToInt(quorum.N) : null,
                quorum.HasR ? ToInt(quorum.R) : null,
                quorum.HasW ? ToInt(quorum.W) : null);

    private static int ToInt(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;

    private void RequireValue(ByteString value)
    {
        if (_limits.CheckValue(value.Length) is { } tooLarge)
        {
            ThrowInvalidArgument(tooLarge);
        }
    }

    private ReadOnlyMemory<byte> RequireKey(ByteString key)
    {
        if (_limits.CheckKey(key.Length) is { } problem)
        {
            ThrowInvalidArgument(problem);
        }

        return key.Memory;
    }

    /// <summary>
    /// Throws the status a coordinator failure is answered with (<see cref="StatusFor"/>). Returns for any other
    /// exception, which the caller rethrows as it is.
    /// </summary>
    private static void ThrowAsStatus(Exception ex)
    {
        if (StatusFor(ex) is { } status)
        {
            throw new RpcException(new Status(status, ex.Message));
        }
    }

    /// <summary>INVALID_ARGUMENT for the caller's mistakes, UNAVAILABLE for a missed quorum; null for anything else.</summary>
    private static StatusCode? StatusFor(Exception ex) => ex switch
    {
        InvalidCausalContextException or StorageValidationException or QuorumValidationException => StatusCode.InvalidArgument,
        QuorumNotReachedException => StatusCode.Unavailable,
        _ => null,
    };

    [DoesNotReturn]
    private static void ThrowInvalidArgument(string message) => throw new RpcException(new Status(StatusCode.InvalidArgument, message));

}
