using System.Diagnostics;
using DynamoKad.Kademlia;
using DynamoKad.Replication;

namespace DynamoKad.Transport;

/// <summary>
/// Batches one kind of replica call to one peer: at most one batch is in flight, and everything queued while
/// it was in flight goes in the next one. No timer: a lone request is sent after one thread-pool hop, and batches
/// grow with load.
/// Each item keeps its own deadline and cancellation, and fails or succeeds on its own.
/// </summary>
/// <typeparam name="TItem">What one call sends.</typeparam>
/// <typeparam name="TResult">What one call answers.</typeparam>
internal sealed class PeerBatcher<TItem, TResult>(NodeId peer, string address, string spanName, PeerBatcher<TItem, TResult>.SendBatch send)
{
    public string Address => address;

    /// <summary>Sends <paramref name="items"/> in one call with <paramref name="deadline"/>; completes every item's <see cref="Pending.Completion"/>.</summary>
    public delegate Task SendBatch(IReadOnlyList<Pending> items, DateTime deadline);

    private const int MaxBatch = 256;
    private readonly Lock _lock = new();
    private List<Pending> _queue = [];
    private bool _sending;

    public Task<TResult> EnqueueAsync(TItem item, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pending = new Pending(peer, item, DateTime.UtcNow + timeout, Activity.Current);
        if (cancellationToken.CanBeCanceled)
        {
            pending.Registration = cancellationToken.UnsafeRegister(
                static state => ((Pending)state!).Fail(new OperationCanceledException("replica call cancelled")), pending);
        }

        bool start;
        lock (_lock)
        {
            _queue.Add(pending);
            start = !_sending;
            _sending = true;
        }

        if (start)
        {
            _ = SendLoopAsync();
        }

        return pending.Completion.Task;
    }

    private async Task SendLoopAsync()
    {
        while (true)
        {
            // Each batch is taken from a thread-pool work item queued behind the work already waiting, never on the
            // thread that enqueued or answered: the requests queued just before it (a burst of them arrives
            // together) join the batch instead of following in the next one. Measured (docs/BENCHMARKS.md, step 9):
            // 8-16 % less server CPU per get and put.
            await Task.Yield();
            List<Pending> batch;
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    _sending = false;
                    return;
                }

                if (_queue.Count <= MaxBatch)
                {
                    batch = _queue;
                    _queue = [];
                }
                else
                {
                    batch = _queue.GetRange(0, MaxBatch);
                    _queue.RemoveRange(0, MaxBatch);
                }
            }

            batch.RemoveAll(p => p.Completion.Task.IsCompleted);
            if (batch.Count == 0)
            {
                continue;
            }

            await SendOneAsync(batch);
        }
    }

    private async Task SendOneAsync(List<Pending> batch)
    {
        // The batch's call runs under the first item's replica span (so a lone request's trace is unchanged),
        // with a link to every other item's span.
        // A caller whose span already ended (its request timed out meanwhile) cannot be current: setting it would
        // throw and catch an InvalidOperationException inside DiagnosticSource.
        Activity.Current = batch[0].Caller is { IsStopped: false } caller0 ? caller0 : null;
        List<ActivityLink>? links = null;
        for (var i = 1; i < batch.Count; i++)
        {
            if (batch[i].Caller is { } caller)
            {
                (links ??= []).Add(new ActivityLink(caller.Context));
            }
        }

        using var activity = batch.Count > 1
            ? ReplicationTelemetry.Source.StartActivity(spanName, ActivityKind.Internal, parentContext: default, tags: null, links: links)
            : null;
        activity?.SetTag("dynamokad.batch_size", batch.Count);
        var deadline = batch[0].Deadline;
        foreach (var item in batch)
        {
            deadline = item.Deadline > deadline ? item.Deadline : deadline;
        }

        try
        {
            await send(batch, deadline);
        }
        catch (Exception ex)
        {
            var failure = ex as ReplicaUnavailableException ?? new ReplicaUnavailableException(peer, ex.Message, ex);
            foreach (var item in batch)
            {
                item.Fail(failure);
            }
        }
        finally
        {
            Activity.Current = null;
        }
    }

    /// <summary>One queued call.</summary>
    public sealed class Pending(NodeId peer, TItem item, DateTime deadline, Activity? caller)
    {
        public TItem Item { get; } = item;

        public DateTime Deadline { get; } = deadline;

        public Activity? Caller { get; } = caller;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }

        /// <summary>Answers the call, unless its own deadline passed while the batch was in flight.</summary>
        public void Succeed(TResult result)
        {
            if (DateTime.UtcNow > Deadline)
            {
                Fail(new ReplicaUnavailableException(peer, "DeadlineExceeded: the batch answered after this call's deadline"));
                return;
            }

            Registration.Dispose();
            Completion.TrySetResult(result);
        }

        public void Fail(Exception exception)
        {
            Registration.Dispose();
            Completion.TrySetException(exception);
        }
    }
}
