using System.Diagnostics;
using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using DynamoKad.Telemetry;
using DynamoKad.Transport.Faults;
using Grpc.Core;

namespace DynamoKad.Transport;

/// <summary>
/// The caller's end of the <c>Replica.Stream</c> call to one peer: every replica write and read this node sends that
/// peer goes over one long-lived call, as items of frames. One frame is written at a time; what queues while it is
/// being written goes in the next one, so frames grow with load without any timer. Answers come back on the same
/// call, matched by item id, and complete their callers on the thread that read them (no thread-pool hop per item).
/// <para>
/// Each item keeps its own deadline (a sweep fails the late ones), cancellation and failure. A call that breaks (the
/// peer died or went away) fails every item in flight on it with <see cref="ReplicaUnavailableException"/>, and the
/// next item opens a new call. Fault injection applies per frame, both ways, exactly as it applied per unary call:
/// a cut or dropped frame fails its items at once, injected latency delays the frame, and an answer from a peer that
/// turns out to be blocked is refused.
/// </para>
/// </summary>
internal sealed class ReplicaStreamClient : IDisposable
{
    /// <summary>Items per frame at most: a frame stays far below the 16 MiB message limit with typical values.</summary>
    public const int MaxFrameItems = 256;

    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RefusalGrace = TimeSpan.FromSeconds(1);
    private static readonly KeyValuePair<string, object?> SentTag = new("direction", "sent");

    private readonly NodeId _peer;
    private readonly CallInvoker _invoker;
    private readonly FaultInjector? _faults;
    private readonly ReplicaLinkCredentials? _link;
    private readonly Lock _lock = new();
    private List<Pending> _queue = [];
    private List<Pending>? _spare = [];
    private readonly Dictionary<ulong, Pending> _inFlight = [];
    private readonly List<Pending> _delayed = [];
    private Connection? _connection;
    private ITimer? _sweeper;
    private ulong _nextId;
    private bool _sending;
    private bool _disposed;

    /// <param name="link">Open a replica link (plain TCP, <see cref="ReplicaLink"/>) instead of a <c>Replica.Stream</c> call, presenting these.</param>
    public ReplicaStreamClient(NodeId peer, string address, CallInvoker invoker, FaultInjector? faults, ReplicaLinkCredentials? link = null)
    {
        _peer = peer;
        Address = address;
        _invoker = invoker;
        _faults = faults;
        // A link is plain TCP: a peer reached over TLS (https) keeps its gRPC stream call.
        _link = PeerChannelPool.Normalize(address).StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? link : null;
    }

    public string Address { get; }

    public Task WriteAsync(ReplicaWriteRequest write, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite(_peer);
        Enqueue(pending, new ReplicaStreamItem { Write = write }, timeout, cancellationToken);
        return pending.Task;
    }

    public Task<IReadOnlyList<VersionedValue>> ReadAsync(ReplicaReadRequest read, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pending = new PendingRead(_peer);
        Enqueue(pending, new ReplicaStreamItem { Read = read }, timeout, cancellationToken);
        return pending.Task;
    }

    public void Dispose()
    {
        Connection? connection;
        List<Pending> queued;
        lock (_lock)
        {
            _disposed = true;
            connection = _connection;
            _connection = null;
            queued = _queue;
            _queue = [];
            _sweeper?.Dispose();
            _sweeper = null;
        }

        var closed = new ReplicaUnavailableException(_peer, "the node's replica network is shutting down");
        foreach (var pending in queued)
        {
            pending.Fail(closed);
        }

        if (connection is not null)
        {
            Break(connection, closed);
        }
    }

    private void Enqueue(Pending pending, ReplicaStreamItem item, TimeSpan timeout, CancellationToken cancellationToken)
    {
        pending.Item = item;
        pending.DeadlineMs = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        pending.TimeoutMs = (long)timeout.TotalMilliseconds;
        if (Activity.Current is { Recorded: true } caller)
        {
            item.Traceparent = caller.Id ?? string.Empty;
        }

        if (cancellationToken.CanBeCanceled)
        {
            pending.Registration = cancellationToken.UnsafeRegister(
                static state => ((Pending)state!).Fail(new OperationCanceledException("replica call cancelled")), pending);
        }

        bool start;
        lock (_lock)
        {
            if (_disposed)
            {
                start = false;
            }
            else
            {
                pending.Id = ++_nextId;
                item.Id = pending.Id;
                _queue.Add(pending);
                start = !_sending;
                _sending = true;
                _sweeper ??= TimeProvider.System.CreateTimer(static state => ((ReplicaStreamClient)state!).Sweep(), this, SweepInterval, SweepInterval);
            }
        }

        if (_disposed)
        {
            pending.Fail(new ReplicaUnavailableException(_peer, "the node's replica network is shutting down"));
            return;
        }

        if (start)
        {
            _ = SendLoopAsync();
        }
    }

    private async Task SendLoopAsync()
    {
        // The loop outlives the request that started it; a call it opens must not join that request's trace (an
        // item carries its own caller's trace context).
        Activity.Current = null;
        while (true)
        {
            // Taken from a work item queued behind the ones already waiting, never on the enqueuing thread: the items
            // a burst of requests queues together leave in one frame instead of one frame each.
            await Task.Yield();
            List<Pending> batch;
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    _sending = false;
                    return;
                }

                if (_queue.Count <= MaxFrameItems)
                {
                    batch = _queue;
                    _queue = _spare ?? [];
                    _spare = null;
                }
                else
                {
                    batch = _queue.GetRange(0, MaxFrameItems);
                    _queue.RemoveRange(0, MaxFrameItems);
                }
            }

            await SendFrameAsync(batch);
            batch.Clear();
            lock (_lock)
            {
                _spare ??= batch;
            }
        }
    }

    private async Task SendFrameAsync(List<Pending> batch)
    {
        batch.RemoveAll(static p => p.IsDone);
        if (batch.Count == 0)
        {
            return;
        }

        if (_faults?.CheckOutgoing(Address) is { } reason)
        {
            FailAll(batch, new ReplicaUnavailableException(_peer, $"Unavailable: fault injection: {reason}"));
            return;
        }

        if (_faults is { Current.LatencyMs: > 0 } && batch.Exists(static p => !p.Delayed))
        {
            // Each frame waits on its own, as each unary call did, and goes out after its wait; the ones behind it
            // are not held up (a latency lifted meanwhile no longer applies to them).
            var waiting = batch.FindAll(static p => !p.Delayed);
            batch.RemoveAll(static p => !p.Delayed);
            lock (_lock)
            {
                _delayed.AddRange(waiting);
            }

            _ = DelayThenQueueAsync(waiting);
            if (batch.Count == 0)
            {
                return;
            }
        }

        Connection connection;
        try
        {
            connection = await ConnectAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or ObjectDisposedException
            or System.Net.Sockets.SocketException or OperationCanceledException or IOException)
        {
            FailAll(batch, Unavailable(ex));
            return;
        }

        var frame = new ReplicaStreamFrame();
        lock (_lock)
        {
            foreach (var pending in batch)
            {
                if (!pending.IsDone)
                {
                    pending.Connection = connection;
                    _inFlight[pending.Id] = pending;
                    frame.Items.Add(pending.Item);
                }
            }
        }

        if (frame.Items.Count == 0)
        {
            return;
        }

        DynamoKadMetrics.ReplicaFrameItems.Record(frame.Items.Count, SentTag);
        try
        {
            await connection.WriteAsync(frame);
        }
        catch (Exception ex)
        {
            Break(connection, Unavailable(await RefusalOrAsync(connection, ex)));
        }
    }

    /// <summary>
    /// Why a write on <paramref name="connection"/> failed: the callee's refusal (a wrong cluster secret, say) when it
    /// arrives within a moment, since a refused link is closed by the callee and the write's own error names only that.
    /// </summary>
    private static async Task<Exception> RefusalOrAsync(Connection connection, Exception writeFailure)
    {
        try
        {
            return await connection.Handshake.Task.WaitAsync(RefusalGrace) ?? writeFailure;
        }
        catch (TimeoutException)
        {
            return writeFailure;
        }
    }

    private async Task DelayThenQueueAsync(List<Pending> waiting)
    {
        await _faults!.DelayAsync(CancellationToken.None);
        bool start, disposed;
        lock (_lock)
        {
            foreach (var pending in waiting)
            {
                _delayed.Remove(pending);
                pending.Delayed = true;
                if (!pending.IsDone)
                {
                    _queue.Add(pending);
                }
            }

            disposed = _disposed;
            start = !_sending && !disposed;
            _sending |= start;
        }

        if (disposed)
        {
            FailAll(waiting, new ReplicaUnavailableException(_peer, "the node's replica network is shutting down"));
        }
        else if (start)
        {
            _ = SendLoopAsync();
        }
    }

    /// <summary>The live connection, or a new one (whose answers a receive loop starts reading).</summary>
    private async ValueTask<Connection> ConnectAsync()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { } live)
            {
                return live;
            }
        }

        Connection connection = _link is { } link
            ? await LinkConnection.OpenAsync(Address, link)
            : new CallConnection(new Protos.V1.Replica.ReplicaClient(_invoker));
        bool disposed;
        lock (_lock)
        {
            disposed = _disposed;
            if (!disposed)
            {
                _connection = connection;
            }
        }

        if (disposed)
        {
            // Disposed while the link was being opened: nobody would close this one.
            connection.Close();
            throw new ObjectDisposedException(nameof(ReplicaStreamClient));
        }

        _ = ReceiveLoopAsync(connection);
        return connection;
    }

    private async Task ReceiveLoopAsync(Connection connection)
    {
        ReplicaUnavailableException ended;
        try
        {
            NodeId? callee;
            try
            {
                callee = await connection.CalleeAsync();
                connection.Handshake.TrySetResult(null);
            }
            catch (Exception ex)
            {
                connection.Handshake.TrySetResult(ex);
                throw;
            }

            if (callee is { } id)
            {
                _faults?.LearnPeer(Address, id);
            }

            while (await connection.ReadAsync() is { } reply)
            {
                var blocked = callee is { } who && _faults is not null && _faults.IsBlocked(who);
                foreach (var result in reply.Results)
                {
                    Pending? pending;
                    lock (_lock)
                    {
                        _inFlight.Remove(result.Id, out pending);
                    }

                    if (pending is null)
                    {
                        continue; // already failed (deadline, cancellation): the answer came too late
                    }

                    if (blocked)
                    {
                        pending.Fail(new ReplicaUnavailableException(_peer, $"Unavailable: fault injection: the link to {callee!.Value.ToShortString()} is cut"));
                    }
                    else if (result.Status is { Code: not 0 } status)
                    {
                        pending.Fail(new ReplicaUnavailableException(_peer, $"{(StatusCode)status.Code}: {status.Detail}"));
                    }
                    else
                    {
                        pending.Succeed(result);
                    }
                }
            }

            ended = new ReplicaUnavailableException(_peer, "Unavailable: the peer closed the replica stream");
        }
        catch (Exception ex)
        {
            ended = Unavailable(ex);
        }

        Break(connection, ended);
    }

    /// <summary>Retires <paramref name="connection"/> and fails every item still waiting for an answer on it.</summary>
    private void Break(Connection connection, ReplicaUnavailableException failure)
    {
        List<Pending> orphans = [];
        lock (_lock)
        {
            if (ReferenceEquals(_connection, connection))
            {
                _connection = null;
            }

            foreach (var pending in _inFlight.Values)
            {
                if (ReferenceEquals(pending.Connection, connection))
                {
                    orphans.Add(pending);
                }
            }

            foreach (var pending in orphans)
            {
                _inFlight.Remove(pending.Id);
            }
        }

        FailAll(orphans, failure);
        connection.Close();
    }

    /// <summary>Fails the items whose deadline passed; stops itself when nothing is queued or in flight.</summary>
    private void Sweep()
    {
        var now = Environment.TickCount64;
        List<Pending>? late = null;
        lock (_lock)
        {
            foreach (var pending in _inFlight.Values)
            {
                if (pending.DeadlineMs <= now || pending.IsDone)
                {
                    (late ??= []).Add(pending);
                }
            }

            foreach (var pending in _queue)
            {
                if (pending.DeadlineMs <= now)
                {
                    (late ??= []).Add(pending);
                }
            }

            foreach (var pending in _delayed)
            {
                if (pending.DeadlineMs <= now)
                {
                    (late ??= []).Add(pending);
                }
            }

            if (late is not null)
            {
                foreach (var pending in late)
                {
                    _inFlight.Remove(pending.Id);
                }
            }

            if (_inFlight.Count == 0 && _queue.Count == 0 && _delayed.Count == 0 && !_sending)
            {
                _sweeper?.Dispose();
                _sweeper = null;
            }
        }

        if (late is null)
        {
            return;
        }

        foreach (var pending in late)
        {
            pending.Fail(new ReplicaUnavailableException(_peer, $"DeadlineExceeded: no answer within {pending.TimeoutMs} ms"));
        }
    }

    private static void FailAll(List<Pending> items, Exception failure)
    {
        foreach (var pending in items)
        {
            pending.Fail(failure);
        }
    }

    private ReplicaUnavailableException Unavailable(Exception ex) => ex switch
    {
        ReplicaUnavailableException unavailable => unavailable,
        RpcException rpc => new ReplicaUnavailableException(_peer, $"{rpc.StatusCode}: {rpc.Status.Detail}", rpc),
        _ => new ReplicaUnavailableException(_peer, ex.Message, ex),
    };

    /// <summary>One way to a peer's replica session: a <c>Replica.Stream</c> call or a replica link.</summary>
    private abstract class Connection
    {
        private int _closed;

        /// <summary>
        /// The callee's answer to the handshake, once the receive loop has it: null when it accepted, else why not
        /// (a refused link closes at once, so a write on it can fail before the refusal is read).
        /// </summary>
        public TaskCompletionSource<Exception?> Handshake { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public abstract ValueTask WriteAsync(ReplicaStreamFrame frame);

        /// <summary>Waits for the callee to accept the connection; its node id, when it names itself.</summary>
        public abstract Task<NodeId?> CalleeAsync();

        /// <summary>The next answer frame; null once the callee ended the connection.</summary>
        public abstract ValueTask<ReplicaStreamReply?> ReadAsync();

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                OnClose();
            }
        }

        protected abstract void OnClose();
    }

    /// <summary>One <c>Replica.Stream</c> call.</summary>
    private sealed class CallConnection : Connection
    {
        private readonly CancellationTokenSource _cancel = new();
        private readonly AsyncDuplexStreamingCall<ReplicaStreamFrame, ReplicaStreamReply> _call;

        public CallConnection(Protos.V1.Replica.ReplicaClient client)
        {
            _call = client.Stream(new CallOptions(cancellationToken: _cancel.Token));
        }

        public override ValueTask WriteAsync(ReplicaStreamFrame frame) => new(_call.RequestStream.WriteAsync(frame));

        public override async Task<NodeId?> CalleeAsync()
        {
            var headers = await _call.ResponseHeadersAsync;
            return FaultInjector.NodeIn(headers);
        }

        public override async ValueTask<ReplicaStreamReply?> ReadAsync() =>
            await _call.ResponseStream.MoveNext(CancellationToken.None) ? _call.ResponseStream.Current : null;

        protected override void OnClose()
        {
            _cancel.Cancel();
            _call.Dispose();
            _cancel.Dispose();
        }
    }

    /// <summary>One replica link: a TCP connection to the peer's gRPC port carrying the stream's frames without HTTP/2.</summary>
    private sealed class LinkConnection : Connection
    {
        private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

        private readonly System.Net.Sockets.Socket _socket;
        private readonly System.IO.Pipelines.PipeReader _input;
        private readonly System.IO.Pipelines.PipeWriter _output;

        private LinkConnection(System.Net.Sockets.Socket socket)
        {
            _socket = socket;
            var stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            _input = System.IO.Pipelines.PipeReader.Create(stream);
            _output = System.IO.Pipelines.PipeWriter.Create(stream);
        }

        /// <summary>Connects to <paramref name="address"/> (http://host:port) and sends the preamble and the hello.</summary>
        public static async Task<LinkConnection> OpenAsync(string address, ReplicaLinkCredentials credentials)
        {
            var uri = new Uri(PeerChannelPool.Normalize(address));
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
            try
            {
                ReplicaLink.KeepAlive(socket);
                using var timeout = new CancellationTokenSource(ConnectTimeout);
                await socket.ConnectAsync(new System.Net.DnsEndPoint(uri.Host, uri.Port), timeout.Token);
                var connection = new LinkConnection(socket);
                ReplicaLink.Preamble.CopyTo(connection._output.GetSpan(ReplicaLink.Preamble.Length));
                connection._output.Advance(ReplicaLink.Preamble.Length);
                await ReplicaLink.WriteAndFlushAsync(
                    connection._output,
                    new ReplicaLinkHello { Secret = credentials.Secret ?? string.Empty, Node = credentials.Self.ToString() },
                    timeout.Token);
                return connection;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        public override ValueTask WriteAsync(ReplicaStreamFrame frame) => ReplicaLink.WriteAndFlushAsync(_output, frame, CancellationToken.None);

        public override async Task<NodeId?> CalleeAsync()
        {
            var welcome = await ReplicaLink.ReadAsync(_input, ReplicaLinkWelcome.Parser, CancellationToken.None)
                ?? throw new IOException("the peer closed the replica link before accepting it");
            if (welcome.Refused is { Code: not 0 } refused)
            {
                throw new IOException($"{(StatusCode)refused.Code}: {refused.Detail}");
            }

            return NodeId.TryParse(welcome.Node, out var id) ? id : null;
        }

        public override ValueTask<ReplicaStreamReply?> ReadAsync() => ReplicaLink.ReadAsync(_input, ReplicaStreamReply.Parser, CancellationToken.None);

        protected override void OnClose() => _socket.Dispose();
    }

    /// <summary>One item waiting to be sent or answered.</summary>
    private abstract class Pending(NodeId peer)
    {
        public ulong Id { get; set; }

        public ReplicaStreamItem Item { get; set; } = null!;

        public long DeadlineMs { get; set; }

        public long TimeoutMs { get; set; }

        public Connection? Connection { get; set; }

        /// <summary>Has waited the injected latency already.</summary>
        public bool Delayed { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        protected NodeId Peer { get; } = peer;

        public abstract bool IsDone { get; }

        public abstract void Succeed(ReplicaStreamResult result);

        public abstract void Fail(Exception failure);
    }

    // The completions run their continuations inline, on the thread that read the answer: a replica answer's work on
    // the coordinator (count an acknowledgement, keep a read's versions) is small, and a hop per item would cost more.
    private sealed class PendingWrite(NodeId peer) : Pending(peer)
    {
        private readonly TaskCompletionSource _completion = new();

        public Task Task => _completion.Task;

        public override bool IsDone => _completion.Task.IsCompleted;

        public override void Succeed(ReplicaStreamResult result)
        {
            Registration.Dispose();
            _completion.TrySetResult();
        }

        public override void Fail(Exception failure)
        {
            Registration.Dispose();
            _completion.TrySetException(failure);
        }
    }

    private sealed class PendingRead(NodeId peer) : Pending(peer)
    {
        private readonly TaskCompletionSource<IReadOnlyList<VersionedValue>> _completion = new();

        public Task<IReadOnlyList<VersionedValue>> Task => _completion.Task;

        public override bool IsDone => _completion.Task.IsCompleted;

        public override void Succeed(ReplicaStreamResult result)
        {
            Registration.Dispose();
            VersionedValue[] versions;
            try
            {
                versions = new VersionedValue[result.Versions.Count];
                for (var i = 0; i < versions.Length; i++)
                {
                    versions[i] = result.Versions[i].ToDomain();
                }
            }
            catch (FormatException ex)
            {
                _completion.TrySetException(new ReplicaUnavailableException(Peer, "malformed answer: " + ex.Message, ex));
                return;
            }

            _completion.TrySetResult(versions);
        }

        public override void Fail(Exception failure)
        {
            Registration.Dispose();
            _completion.TrySetException(failure);
        }
    }
}
