using System.Diagnostics;
using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using DynamoKad.Telemetry;
using DynamoKad.Transport;
using DynamoKad.Transport.Faults;
using Grpc.Core;

namespace DynamoKad.Api;

/// <summary>
/// The callee's end of one <c>Replica.Stream</c> call: reads frames, applies each item to <see cref="LocalReplica"/>
/// (a read is answered at once, a write once it is durable), and writes the answers back in frames of whatever
/// finished while the previous answer frame was being written. One malformed or failed item fails alone.
/// At most <see cref="MaxItemsInFlight"/> items are being applied at a time; past that the call stops reading, and
/// the transport's flow control (HTTP/2's, or TCP's on a replica link) holds the caller back. Fault injection applies per frame, as it applied per unary call.
/// </summary>
internal sealed class ReplicaStreamSession
{
    public const int MaxItemsInFlight = 8192;

    private static readonly KeyValuePair<string, object?> AnsweredTag = new("direction", "answered");

    private readonly LocalReplica _replica;
    private readonly IServerStreamWriter<ReplicaStreamReply> _responses;
    private readonly FaultInjector? _faults;
    private readonly NodeId? _caller;
    private readonly Lock _lock = new();
    private List<ReplicaStreamResult> _answers = [];
    private List<ReplicaStreamResult>? _spare = [];
    private readonly InFlightLimit _inFlight = new(MaxItemsInFlight);
    private Task _sending = Task.CompletedTask;
    private bool _writing;
    private bool _serving;
    private bool _broken;

    /// <param name="caller">The calling node, when it named itself: the frames of a blocked caller are refused.</param>
    public ReplicaStreamSession(LocalReplica replica, IServerStreamWriter<ReplicaStreamReply> responses, NodeId? caller, FaultInjector? faults)
    {
        _replica = replica;
        _responses = responses;
        _faults = faults;
        _caller = caller;
    }

    /// <summary>Serves the call until the caller ends it or <paramref name="cancellationToken"/> fires, then answers what is still being applied.</summary>
    public async Task RunAsync(IAsyncStreamReader<ReplicaStreamFrame> requests, CancellationToken cancellationToken)
    {
        try
        {
            while (await requests.MoveNext(cancellationToken))
            {
                lock (_lock)
                {
                    _serving = true;
                }

                Serve(requests.Current, cancellationToken);
                await FlushServedAsync();
                if (_inFlight.Full)
                {
                    await _inFlight.RoomAsync();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller went away or this node is stopping: answer what is in flight, if the call still takes it.
        }
        catch (IOException)
        {
            // The connection broke mid-frame.
        }

        await DrainAsync();
    }

    private void Serve(ReplicaStreamFrame frame, CancellationToken cancellationToken)
    {
        if (_faults?.CheckIncoming(_caller) is { } reason)
        {
            var refused = new ReplicaItemStatus { Code = (int)StatusCode.Unavailable, Detail = $"fault injection: {reason}" };
            foreach (var item in frame.Items)
            {
                Answer(new ReplicaStreamResult { Id = item.Id, Status = refused });
            }

            return;
        }

        if (_faults is { Current.LatencyMs: > 0 })
        {
            // Each frame waits on its own, as each unary call did: the frames behind it are not held up (a latency
            // that is lifted meanwhile no longer applies to them).
            _inFlight.Enter();
            _ = LaterAsync(frame, cancellationToken);
            return;
        }

        Apply(frame);
    }

    private async Task LaterAsync(ReplicaStreamFrame frame, CancellationToken cancellationToken)
    {
        try
        {
            await _faults!.DelayAsync(cancellationToken);
            Apply(frame);
        }
        catch (OperationCanceledException)
        {
            // The call ended during the injected latency; nobody is waiting for these answers any more.
        }
        finally
        {
            _inFlight.Exit();
        }
    }

    private void Apply(ReplicaStreamFrame frame)
    {
        foreach (var item in frame.Items)
        {
            switch (item.OperationCase)
            {
                case ReplicaStreamItem.OperationOneofCase.Write:
                    Write(item);
                    break;
                case ReplicaStreamItem.OperationOneofCase.Read:
                    Read(item);
                    break;
                default:
                    Answer(Failed(item.Id, StatusCode.InvalidArgument, "the item holds neither a write nor a read."));
                    break;
            }
        }
    }

    private void Write(ReplicaStreamItem item)
    {
        var write = item.Write;
        Activity? span = null;
        Task applied;
        try
        {
            var key = ReplicaGrpcService.RequireKey(write.Key);
            var versions = ReplicaGrpcService.DecodeVersions(write);
            NodeId? hintFor = write.HintFor.IsEmpty ? null : ReplicaGrpcService.ParseId(write.HintFor, "hint_for");
            span = StartServerSpan("replica.write.serve", item);
            applied = _replica.WriteAsync(key, versions, hintFor, CancellationToken.None);
        }
        catch (Exception ex)
        {
            span?.Dispose();
            Activity.Current = null;
            Answer(Failed(item.Id, ex));
            return;
        }

        Activity.Current = null;
        if (applied.IsCompleted)
        {
            Finish(applied, item.Id, span);
            return;
        }

        _inFlight.Enter();
        var state = new WriteState(this, item.Id, span);
        applied.ContinueWith(
            static (task, state) =>
            {
                var (session, id, activity) = (WriteState)state!;
                session.Finish(task, id, activity);
                session._inFlight.Exit();
            },
            state,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Finish(Task applied, ulong id, Activity? span)
    {
        if (applied.IsCompletedSuccessfully)
        {
            span?.SetTag("dynamokad.outcome", "ok");
            Answer(new ReplicaStreamResult { Id = id });
        }
        else
        {
            span?.SetStatus(ActivityStatusCode.Error, applied.Exception?.GetBaseException().Message);
            Answer(Failed(id, applied.Exception?.GetBaseException() ?? new OperationCanceledException()));
        }

        span?.Dispose();
    }

    private void Read(ReplicaStreamItem item)
    {
        Activity? span = null;
        try
        {
            var key = ReplicaGrpcService.RequireKey(item.Read.Key);
            span = StartServerSpan("replica.read.serve", item);
            var read = _replica.Storage.ReadAsync(key);
            if (read.IsCompletedSuccessfully)
            {
                Answer(ReadResult(item.Id, read.Result));
            }
            else
            {
                _inFlight.Enter();
                _ = ReadLaterAsync(item.Id, read);
            }
        }
        catch (Exception ex)
        {
            Answer(Failed(item.Id, ex));
        }
        finally
        {
            span?.Dispose();
            Activity.Current = null;
        }
    }

    private async Task ReadLaterAsync(ulong id, ValueTask<IReadOnlyList<Storage.StoredVersion>> read)
    {
        try
        {
            Answer(ReadResult(id, await read));
        }
        catch (Exception ex)
        {
            Answer(Failed(id, ex));
        }
        finally
        {
            _inFlight.Exit();
        }
    }

    /// <summary>A read's answer: the stored versions as they are (the clock stays encoded; the caller decodes it).</summary>
    private static ReplicaStreamResult ReadResult(ulong id, IReadOnlyList<Storage.StoredVersion> stored)
    {
        var result = new ReplicaStreamResult { Id = id };
        foreach (var version in stored)
        {
            result.Versions.Add(version.ToProto());
        }

        return result;
    }

    /// <summary>A span for an item whose caller's span is recorded, as a child of it (the trace crosses the stream).</summary>
    private static Activity? StartServerSpan(string name, ReplicaStreamItem item)
    {
        if (item.Traceparent.Length == 0 || !ReplicationTelemetry.Source.HasListeners()
            || !ActivityContext.TryParse(item.Traceparent, null, out var parent))
        {
            return null;
        }

        return ReplicationTelemetry.Source.StartActivity(name, ActivityKind.Server, parent);
    }

    private static ReplicaStreamResult Failed(ulong id, Exception ex) => ex switch
    {
        RpcException rpc => Failed(id, rpc.StatusCode, rpc.Status.Detail),
        OperationCanceledException => Failed(id, StatusCode.Cancelled, "cancelled"),
        Storage.StorageValidationException => Failed(id, StatusCode.InvalidArgument, ex.Message),
        _ => Failed(id, StatusCode.Internal, ex.GetType().Name + ": " + ex.Message),
    };

    private static ReplicaStreamResult Failed(ulong id, StatusCode code, string detail) =>
        new() { Id = id, Status = new ReplicaItemStatus { Code = (int)code, Detail = detail } };

    /// <summary>Queues one answer; the writer sends it with whatever else finished meanwhile.</summary>
    private void Answer(ReplicaStreamResult result)
    {
        bool start;
        lock (_lock)
        {
            if (_broken)
            {
                return;
            }

            _answers.Add(result);
            // While a frame is being served, its answers (reads, mostly) wait for the end of the frame and go out in
            // one answer frame written by the reading loop itself, without a hop to a writer.
            start = !_writing && !_serving;
            _writing |= start;
        }

        if (start)
        {
            _sending = WriteLoopAsync();
        }
    }

    /// <summary>After a frame: writes what it answered at once, on the reading loop (the writer takes over what comes later).</summary>
    private async Task FlushServedAsync()
    {
        List<ReplicaStreamResult>? batch = null;
        lock (_lock)
        {
            _serving = false;
            if (!_writing && !_broken && _answers.Count > 0)
            {
                _writing = true;
                batch = _answers;
                _answers = _spare ?? [];
                _spare = null;
            }
        }

        if (batch is null)
        {
            return;
        }

        var written = await WriteAsync(batch);
        bool more;
        lock (_lock)
        {
            _spare ??= batch;
            more = written && _answers.Count > 0;
            _writing = more;
        }

        if (more)
        {
            _sending = WriteLoopAsync();
        }
    }

    /// <summary>Writes one answer frame; false when the call is over.</summary>
    private async Task<bool> WriteAsync(List<ReplicaStreamResult> batch)
    {
        var reply = new ReplicaStreamReply();
        reply.Results.AddRange(batch);
        batch.Clear();
        DynamoKadMetrics.ReplicaFrameItems.Record(reply.Results.Count, AnsweredTag);
        try
        {
            await _responses.WriteAsync(reply);
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException or RpcException)
        {
            // The call is over: nobody is listening for the rest.
            lock (_lock)
            {
                _broken = true;
                _writing = false;
            }

            return false;
        }
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            await Task.Yield();
            List<ReplicaStreamResult> batch;
            lock (_lock)
            {
                if (_answers.Count == 0 || _broken)
                {
                    _writing = false;
                    return;
                }

                batch = _answers;
                _answers = _spare ?? [];
                _spare = null;
            }

            if (!await WriteAsync(batch))
            {
                return;
            }

            lock (_lock)
            {
                _spare ??= batch;
            }
        }
    }

    /// <summary>Waits for the writes still being applied (they finish: storage never abandons an accepted write), then for their answers to be written.</summary>
    private async Task DrainAsync()
    {
        await _inFlight.DrainedAsync();
        while (true)
        {
            Task sending;
            lock (_lock)
            {
                if (!_writing || _broken)
                {
                    return;
                }

                sending = _sending;
            }

            // The writer that is running may not be the one recorded yet (it is recorded once started): wait a little.
            await (sending.IsCompleted ? Task.Delay(1) : sending);
        }
    }

    private sealed record WriteState(ReplicaStreamSession Session, ulong Id, Activity? Span);
}
