using DynamoKad.Protos.V1;
using Grpc.Core;

namespace DynamoKad.Api;

/// <summary>
/// The node's end of one <c>KeyValue.Session</c> call: reads the client's messages, starts every request in them at
/// once (<see cref="KeyValueGrpcService.ServeAsync"/>, which never throws: a failure is that request's answer), and
/// writes the answers back in messages of whatever finished while the previous message was being written.
/// At most <see cref="MaxRequestsInFlight"/> requests are coordinated at a time; past that the call stops reading and
/// HTTP/2's flow control holds the client back. When the client half-closes the call (or the node stops), the
/// requests in flight are answered first, then the call ends.
/// </summary>
internal sealed class KeyValueSession(KeyValueGrpcService service, IServerStreamWriter<SessionResponses> responses)
{
    public const int MaxRequestsInFlight = 4096;

    /// <summary>An answer message is cut after this many bytes (a client's default receive limit is 4 MiB).</summary>
    public const int MaxMessageBytes = 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly InFlightLimit _inFlight = new(MaxRequestsInFlight);
    private List<SessionResponse> _answers = [];
    private List<SessionResponse>? _spare = [];
    private TaskCompletionSource? _written;
    private bool _writing;
    private bool _broken;

    /// <summary>Serves the call until the client half-closes it or <paramref name="cancellationToken"/> fires, then answers what is in flight.</summary>
    public async Task RunAsync(IAsyncStreamReader<SessionRequests> requests, CancellationToken cancellationToken)
    {
        try
        {
            while (await requests.MoveNext(cancellationToken))
            {
                foreach (var request in requests.Current.Requests)
                {
                    Start(request, cancellationToken);
                }

                if (_inFlight.Full)
                {
                    await _inFlight.RoomAsync();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away or this node is stopping: answer what is in flight, if the call still takes it.
        }
        catch (IOException)
        {
            // The connection broke mid-message.
        }

        // Every request's answer is queued before its slot is released, so once none is in flight the writer has them all.
        await _inFlight.DrainedAsync();
        await WrittenAsync();
    }

    private void Start(SessionRequest request, CancellationToken cancellationToken)
    {
        _inFlight.Enter();
        var served = service.ServeAsync(request, cancellationToken);
        if (served.IsCompleted)
        {
            Answer(served.Result);
            return;
        }

        served.ContinueWith(
            static (task, state) => ((KeyValueSession)state!).Answer(task.Result),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Queues one answer (the writer sends it with whatever else finished meanwhile), then releases its request's slot.</summary>
    private void Answer(SessionResponse response)
    {
        bool start;
        lock (_lock)
        {
            start = !_broken && !_writing;
            if (!_broken)
            {
                _answers.Add(response);
                _writing = true;
            }
        }

        if (start)
        {
            _ = WriteLoopAsync();
        }

        _inFlight.Exit();
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            // Lets the answers that complete meanwhile (the other replies of the same replica frame) join this message.
            await Task.Yield();
            var message = new SessionResponses();
            List<SessionResponse> taken;
            lock (_lock)
            {
                if (_answers.Count == 0 || _broken)
                {
                    Stopped();
                    return;
                }

                taken = _answers;
                _answers = _spare ?? [];
                _spare = null;
            }

            var bytes = 0;
            var sent = 0;
            for (; sent < taken.Count && (sent == 0 || bytes < MaxMessageBytes); sent++)
            {
                bytes += taken[sent].CalculateSize();
                message.Responses.Add(taken[sent]);
            }

            try
            {
                await responses.WriteAsync(message);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException or RpcException)
            {
                // The call is over: nobody is listening for the rest.
                lock (_lock)
                {
                    _broken = true;
                    _answers.Clear();
                    Stopped();
                }

                return;
            }

            lock (_lock)
            {
                if (sent < taken.Count)
                {
                    // What did not fit goes first in the next message.
                    _answers.InsertRange(0, taken.Skip(sent));
                }

                taken.Clear();
                _spare ??= taken;
            }
        }
    }

    /// <summary>The writer stops (under the lock), and wakes <see cref="WrittenAsync"/>.</summary>
    private void Stopped()
    {
        _writing = false;
        if (_written is { } written)
        {
            _written = null;
            written.TrySetResult();
        }
    }

    /// <summary>Completes once the writer has written every queued answer (or the call is gone).</summary>
    private Task WrittenAsync()
    {
        lock (_lock)
        {
            if (!_writing)
            {
                return Task.CompletedTask;
            }

            _written ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _written.Task;
        }
    }
}
