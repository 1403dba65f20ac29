namespace DynamoKad.Kademlia.Simulation;

/// <summary>
/// The simulator's clock: time moves only when the driver advances it, so a run replays exactly.
/// Timers are not supported (the simulator drives refreshes itself rather than through hosted services).
/// </summary>
public sealed class SimulatedClock : TimeProvider
{
    private DateTimeOffset _now;

    public SimulatedClock(DateTimeOffset start)
    {
        _now = start;
    }

    public override DateTimeOffset GetUtcNow() => _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _now.UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        throw new NotSupportedException("The simulated clock has no timers: the simulator advances time and runs periodic work itself.");

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        _now += by;
    }
}
