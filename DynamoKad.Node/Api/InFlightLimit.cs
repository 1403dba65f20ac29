namespace DynamoKad.Api;

/// <summary>
/// How many items a streaming call is working on, for the sessions that serve one (<see cref="ReplicaStreamSession"/>,
/// <see cref="KeyValueSession"/>): the reading loop stops at <c>max</c> and waits for <see cref="RoomAsync"/>, which
/// completes once half of them are done, and at the end waits for <see cref="DrainedAsync"/>, once none is left.
/// </summary>
internal sealed class InFlightLimit(int max)
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _room;
    private TaskCompletionSource? _drained;
    private int _count;

    public int Max => max;

    /// <summary>True when the reading loop should wait for <see cref="RoomAsync"/> before reading more.</summary>
    public bool Full => Volatile.Read(ref _count) >= max;

    public void Enter() => Interlocked.Increment(ref _count);

    /// <summary>One item is done: wakes the reading loop once half are, and the drain once none is left.</summary>
    public void Exit()
    {
        TaskCompletionSource? room = null, drained = null;
        var left = Interlocked.Decrement(ref _count);
        lock (_lock)
        {
            if (left < max / 2 && _room is { } r)
            {
                room = r;
                _room = null;
            }

            if (left == 0 && _drained is { } d)
            {
                drained = d;
                _drained = null;
            }
        }

        room?.TrySetResult();
        drained?.TrySetResult();
    }

    /// <summary>Completes once fewer than half of <c>max</c> items are in flight.</summary>
    public Task RoomAsync()
    {
        lock (_lock)
        {
            if (Volatile.Read(ref _count) < max / 2)
            {
                return Task.CompletedTask;
            }

            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    /// <summary>Completes once no item is in flight (call it after the last <see cref="Enter"/>).</summary>
    public Task DrainedAsync()
    {
        lock (_lock)
        {
            if (Volatile.Read(ref _count) == 0)
            {
                return Task.CompletedTask;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }
}
