namespace DynamoKad.Replication;

/// <summary>
/// The delay after which a read asks the replicas it did not ask first: a streaming estimate of the 99th percentile
/// of remote replica read latency. Each sample above the estimate raises it by <see cref="Gain"/>; each one at or
/// below lowers it by a step 99 times smaller, so it settles where 1 % of samples lie above it whatever the
/// distribution's shape (stochastic approximation of a quantile, with multiplicative steps). The RFC 6298 estimator
/// it replaces (mean + 4 mean deviations) assumed a well-behaved latency: under a saturated 2-core benchmark, 14 % of
/// a node's reads outlived it and were hedged, each an extra replica read. Lock-free; races lose a sample, no more.
/// </summary>
internal sealed class ReplicaLatency
{
    /// <summary>The share of reads the delay aims to outlast.</summary>
    public const double Quantile = 0.99;

    private const double Gain = 0.05;
    private const double Fall = Gain * (1 - Quantile) / Quantile;
    private static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(2);
    private static readonly double MaxTicks = TimeSpan.FromSeconds(60).Ticks;

    // Until samples arrive: what the old estimator started from (20 ms mean + 4 x 10 ms deviation).
    private double _estimateTicks = TimeSpan.FromMilliseconds(60).Ticks;

    /// <summary>The current estimate of the latency's 99th percentile (before the hedge delay's bounds).</summary>
    public TimeSpan Estimate => TimeSpan.FromTicks((long)Volatile.Read(ref _estimateTicks));

    public void Record(TimeSpan sample)
    {
        var estimate = Volatile.Read(ref _estimateTicks);
        var next = sample.Ticks > estimate ? estimate * (1 + Gain) : estimate * (1 - Fall);
        Volatile.Write(ref _estimateTicks, Math.Clamp(next, Floor.Ticks / 2.0, MaxTicks));
    }

    /// <summary>The estimated 99th percentile, at least 2 ms and at most half the replica timeout.</summary>
    public TimeSpan HedgeDelay(TimeSpan replicaTimeout)
    {
        var delay = Estimate;
        var ceiling = replicaTimeout / 2;
        return delay < Floor ? Floor : delay > ceiling ? ceiling : delay;
    }
}
