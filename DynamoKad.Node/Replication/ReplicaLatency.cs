namespace DynamoKad.Replication;

/// <summary>
/// A smoothed estimate of remote replica read latency (RFC 6298's estimator: mean and mean deviation), for the
/// delay after which a read asks the replicas it did not ask first. Lock-free; races lose a sample, no more.
/// </summary>
internal sealed class ReplicaLatency
{
    private static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(2);
    private double _meanTicks = TimeSpan.FromMilliseconds(20).Ticks;
    private double _deviationTicks = TimeSpan.FromMilliseconds(10).Ticks;

    public void Record(TimeSpan sample)
    {
        var mean = Volatile.Read(ref _meanTicks);
        var error = sample.Ticks - mean;
        Volatile.Write(ref _deviationTicks, Volatile.Read(ref _deviationTicks) + ((Math.Abs(error) - Volatile.Read(ref _deviationTicks)) / 4));
        Volatile.Write(ref _meanTicks, mean + (error / 8));
    }

    /// <summary>Mean + 4 deviations (about the p99 of a well-behaved latency), at least 2 ms and at most half the replica timeout.</summary>
    public TimeSpan HedgeDelay(TimeSpan replicaTimeout)
    {
        var delay = TimeSpan.FromTicks((long)(Volatile.Read(ref _meanTicks) + (4 * Volatile.Read(ref _deviationTicks))));
        var ceiling = replicaTimeout / 2;
        return delay < Floor ? Floor : delay > ceiling ? ceiling : delay;
    }
}
