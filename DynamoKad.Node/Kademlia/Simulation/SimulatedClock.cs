namespace DynamoKad.Kademlia.Simulation;

/// <summary>
/// The simulator's clock: time moves only when the driver advances it, so a run replays exactly.
/// Timers (lookup deadlines, delays) fire during <see cref="Advance"/>, in due-time order.
/// </summary>
public sealed class SimulatedClock : TimeProvider
{
    private readonly List<SimulatedTimer> _timers = [];
    private DateTimeOffset _now;

    public SimulatedClock(DateTimeOffset start)
    {
        _now = start;
    }

    public override DateTimeOffset GetUtcNow() => _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _now.UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SimulatedTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        var end = _now + by;
        while (true)
        {
            SimulatedTimer? next = null;
            foreach (var timer in _timers)
            {
                if (timer.DueAt <= end && (next is null || timer.DueAt < next.DueAt))
                {
                    next = timer;
                }
            }

            if (next is null)
            {
                break;
            }

            _now = next.DueAt;
            next.Fire();
        }

        _now = end;
    }

    private sealed class SimulatedTimer(SimulatedClock clock, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period;

        public DateTimeOffset DueAt { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            clock._timers.Remove(this);
            _period = period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                DueAt = clock._now + dueTime;
                clock._timers.Add(this);
            }

            return true;
        }

        public void Fire()
        {
            clock._timers.Remove(this);
            if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan)
            {
                DueAt += _period;
                clock._timers.Add(this);
            }

            callback(state);
        }

        public void Dispose() => clock._timers.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
