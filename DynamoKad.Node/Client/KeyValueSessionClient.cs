using DynamoKad.Api;
using DynamoKad.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace DynamoKad.Client;

/// <summary>
/// A pipelining client of one node: every Put/Get/Delete goes out as a request of one long-lived
/// <c>KeyValue.Session</c> call, in a message with whatever else was queued meanwhile, and completes when the node's
/// answer with its id arrives (in any order). A request that fails throws the <see cref="RpcException"/> its unary
/// call would have thrown (same status and message); the others are not affected. Thread-safe: any number of callers
/// share one instance.
/// <para>
/// If the call breaks (the node stops, the connection drops), every request in flight on it fails with the call's
/// status (UNAVAILABLE when it ended without one), and the next request opens a new call. A request's deadline and
/// cancellation are the client's: the answer is no longer waited for, while the node may still complete the write
/// (as with a unary call whose deadline passes after the request was sent). Awaiting callers continue on the thread
/// that reads the answers: code that blocks there holds up the session's other answers.
/// </para>
/// </summary>
public sealed class KeyValueSessionClient : IAsyncDisposable
{
    /// <summary>A request message is cut after this many bytes (unless its first request alone is larger).</summary>
    public const int MaxMessageBytes = 256 * 1024;

    private static readonly TimeSpan DeadlineScan = TimeSpan.FromMilliseconds(20);

    private readonly KeyValue.KeyValueClient _client;
    private readonly int _maxRequestBytes;
    private readonly Lock _lock = new();
    private readonly ITimer _deadlines;
    private Connection? _connection;
    private ulong _nextId;
    private bool _disposed;

    /// <param name="maxRequestBytes">
    /// The largest request sent; a larger one fails alone with INVALID_ARGUMENT instead of the node refusing the whole
    /// message (and so the call). The default is a node's with its default storage limits.
    /// </param>
    public KeyValueSessionClient(KeyValue.KeyValueClient client, int maxRequestBytes = ClientRequestLimits.DefaultMaxKeyBytes + ClientRequestLimits.DefaultMaxValueBytes + ClientRequestLimits.Overhead)
    {
        _client = client;
        _maxRequestBytes = maxRequestBytes;
        _deadlines = TimeProvider.System.CreateTimer(static state => ((KeyValueSessionClient)state!).ExpireDeadlines(), this, DeadlineScan, DeadlineScan);
    }

    /// <summary>Requests sent and not yet answered, on the current call.</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _connection?.Pending.Count ?? 0;
            }
        }
    }

    public Task<PutResponse> PutAsync(PutRequest request, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
        Send(new SessionRequest { Put = request }, new Pending<PutResponse>(static r => r.Put), deadline, cancellationToken);

    public Task<GetResponse> GetAsync(GetRequest request, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
        Send(new SessionRequest { Get = request }, new Pending<GetResponse>(static r => r.Get), deadline, cancellationToken);

    public Task<DeleteResponse> DeleteAsync(DeleteRequest request, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
        Send(new SessionRequest { Delete = request }, new Pending<DeleteResponse>(static r => r.Delete), deadline, cancellationToken);

    private Task<T> Send<T>(SessionRequest request, Pending<T> pending, DateTime? deadline, CancellationToken cancellationToken)
        where T : class
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var size = request.CalculateSize();
        if (size > _maxRequestBytes)
        {
            return Task.FromException<T>(new RpcException(new Status(
                StatusCode.InvalidArgument, $"the request is {size} bytes; a session request may be at most {_maxRequestBytes} bytes.")));
        }

        // Registered before the request is queued, so that an answer never finds it unset (and leaves it registered).
        if (cancellationToken.CanBeCanceled)
        {
            pending.Registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((IPending)state!).Abandon(new OperationCanceledException(token)), pending);
        }

        Connection connection;
        bool start;
        lock (_lock)
        {
            if (_disposed)
            {
                pending.Registration.Dispose();
                return Task.FromException<T>(new ObjectDisposedException(nameof(KeyValueSessionClient)));
            }

            connection = _connection ??= Open();
            request.Id = ++_nextId;
            pending.Id = request.Id;
            pending.Owner = this;
            pending.Connection = connection;
            pending.DeadlineTicks = deadline is { } d ? d.ToUniversalTime().Ticks : long.MaxValue;
            connection.Pending.Add(request.Id, pending);
            connection.Queue.Add((request, size));
            start = !connection.Sending;
            connection.Sending = true;
        }

        if (start)
        {
            _ = SendLoopAsync(connection);
        }

        return pending.Task;
    }

    private Connection Open()
    {
        var connection = new Connection(_client.Session());
        _ = ReceiveLoopAsync(connection);
        return connection;
    }

    /// <summary>Writes what is queued, a message at a time, until the queue is empty.</summary>
    private async Task SendLoopAsync(Connection connection)
    {
        try
        {
            while (true)
            {
                // Lets the requests that callers queue meanwhile join this message.
                await Task.Yield();
                var message = new SessionRequests();
                lock (_lock)
                {
                    var queue = connection.Queue;
                    if (queue.Count == 0 || connection.Broken)
                    {
                        connection.Sending = false;
                        return;
                    }

                    var taken = 0;
                    for (var bytes = 0; taken < queue.Count && (taken == 0 || bytes + queue[taken].Size <= MaxMessageBytes); taken++)
                    {
                        bytes += queue[taken].Size;
                        message.Requests.Add(queue[taken].Request);
                    }

                    if (taken == queue.Count)
                    {
                        queue.Clear();
                    }
                    else
                    {
                        queue.RemoveRange(0, taken);
                    }
                }

                await connection.Call.RequestStream.WriteAsync(message);
            }
        }
        catch (Exception ex)
        {
            Break(connection, ex);
        }
    }

    /// <summary>Completes each request as its answer arrives; when the call ends, fails what is still in flight on it.</summary>
    private async Task ReceiveLoopAsync(Connection connection)
    {
        var answered = new List<(IPending Pending, SessionResponse Response)>();
        Exception ended;
        try
        {
            var responses = connection.Call.ResponseStream;
            while (await responses.MoveNext(CancellationToken.None))
            {
                lock (_lock)
                {
                    foreach (var response in responses.Current.Responses)
                    {
                        if (connection.Pending.Remove(response.Id, out var pending))
                        {
                            answered.Add((pending, response));
                        }
                    }
                }

                foreach (var (pending, response) in answered)
                {
                    pending.Complete(response);
                }

                answered.Clear();
            }

            ended = new RpcException(new Status(StatusCode.Unavailable, "the node ended the session before answering."));
        }
        catch (Exception ex)
        {
            ended = ex;
        }

        Break(connection, ended);
    }

    /// <summary>Fails every request in flight on a call that broke; the next request opens a new call.</summary>
    private void Break(Connection connection, Exception cause)
    {
        var failure = cause as RpcException ?? new RpcException(new Status(StatusCode.Unavailable, $"the session broke: {cause.Message}", cause));
        IPending[] failed;
        lock (_lock)
        {
            if (connection.Broken)
            {
                return;
            }

            connection.Broken = true;
            connection.Queue.Clear();
            failed = [.. connection.Pending.Values];
            connection.Pending.Clear();
            if (_connection == connection)
            {
                _connection = null;
            }
        }

        foreach (var pending in failed)
        {
            pending.Fail(failure);
        }

        connection.Call.Dispose();
    }

    private void ExpireDeadlines()
    {
        var now = DateTime.UtcNow.Ticks;
        List<IPending>? expired = null;
        lock (_lock)
        {
            if (_connection is not { } connection)
            {
                return;
            }

            foreach (var pending in connection.Pending.Values)
            {
                if (pending.DeadlineTicks <= now)
                {
                    (expired ??= []).Add(pending);
                }
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach (var pending in expired)
        {
            pending.Abandon(new RpcException(new Status(StatusCode.DeadlineExceeded, "the deadline passed before the node answered.")));
        }
    }

    /// <summary>Forgets a request nobody waits for any more (cancelled, past its deadline); a late answer is dropped.</summary>
    private void Forget(Connection connection, ulong id)
    {
        lock (_lock)
        {
            connection.Pending.Remove(id);
        }
    }

    /// <summary>Ends the current call: requests in flight fail with CANCELLED.</summary>
    public async ValueTask DisposeAsync()
    {
        Connection? connection;
        lock (_lock)
        {
            _disposed = true;
            connection = _connection;
            _connection = null;
        }

        await _deadlines.DisposeAsync();
        if (connection is not null)
        {
            Break(connection, new RpcException(new Status(StatusCode.Cancelled, "the session client was disposed.")));
        }
    }

    private sealed class Connection(AsyncDuplexStreamingCall<SessionRequests, SessionResponses> call)
    {
        public AsyncDuplexStreamingCall<SessionRequests, SessionResponses> Call { get; } = call;

        public Dictionary<ulong, IPending> Pending { get; } = [];

        public List<(SessionRequest Request, int Size)> Queue { get; } = [];

        public bool Sending { get; set; }

        public bool Broken { get; set; }
    }

    private interface IPending
    {
        long DeadlineTicks { get; }

        void Complete(SessionResponse response);

        void Fail(Exception failure);

        /// <summary>Stops waiting for the answer (cancelled, past its deadline): forgotten by the session, then failed.</summary>
        void Abandon(Exception failure);
    }

    /// <summary>One request in flight: the task its caller awaits, completed inline by the receiving loop.</summary>
    private sealed class Pending<T>(Func<SessionResponse, T?> pick) : TaskCompletionSource<T>, IPending
        where T : class
    {
        public ulong Id { get; set; }

        public long DeadlineTicks { get; set; }

        public Connection? Connection { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public KeyValueSessionClient? Owner { get; set; }

        public void Complete(SessionResponse response)
        {
            Registration.Dispose();
            if (response.Error is { } error)
            {
                TrySetException(new RpcException(new Status((StatusCode)error.Code, error.Message)));
            }
            else if (pick(response) is { } result)
            {
                TrySetResult(result);
            }
            else
            {
                TrySetException(new RpcException(new Status(StatusCode.Internal, $"the node answered request {Id} with a {response.ResultCase} result.")));
            }
        }

        public void Fail(Exception failure)
        {
            Registration.Dispose();
            TrySetException(failure);
        }

        public void Abandon(Exception failure)
        {
            if (Task.IsCompleted)
            {
                return;
            }

            Owner?.Forget(Connection!, Id);
            Registration.Dispose();
            if (failure is OperationCanceledException cancelled)
            {
                TrySetCanceled(cancelled.CancellationToken);
            }
            else
            {
                TrySetException(failure);
            }
        }
    }
}
