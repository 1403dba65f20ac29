using DynamoKad.Replication;

namespace DynamoKad.Tests.Replication;

/// <summary>The hedge delay tracks the 99th percentile of replica read latency, whatever the distribution's shape.</summary>
public sealed class ReplicaLatencyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    // 90 % of reads near 1 ms, 10 % spread over 5-50 ms: a tail like a saturated machine's, where mean + 4 deviations
    // (the old estimator) lay inside the tail and 10 % or more of reads were hedged.
    private static TimeSpan HeavyTailed(Random random) => TimeSpan.FromMilliseconds(
        random.NextDouble() < 0.9 ? 0.8 + (0.4 * random.NextDouble()) : 5 + (45 * random.NextDouble()));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AboutOnePercentOfReadsOutlastTheDelayOnAHeavyTailedLatency(int seed)
    {
        var random = new Random(seed);
        var latency = new ReplicaLatency();
        for (var i = 0; i < 50_000; i++)
        {
            latency.Record(HeavyTailed(random));
        }

        // Measured against fresh samples while it keeps learning, as it runs.
        var outlasted = 0;
        const int Reads = 100_000;
        for (var i = 0; i < Reads; i++)
        {
            var sample = HeavyTailed(random);
            outlasted += sample > latency.HedgeDelay(Timeout) ? 1 : 0;
            latency.Record(sample);
        }

        var share = (double)outlasted / Reads;
        Assert.InRange(share, 0.005, 0.02);
        Assert.InRange(latency.Estimate.TotalMilliseconds, 40, 50);
    }

    [Fact]
    public void TheDelayFollowsALatencyThatJumpsUpAndComesBackDown()
    {
        var latency = new ReplicaLatency();
        for (var i = 0; i < 20_000; i++)
        {
            latency.Record(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(2), latency.HedgeDelay(Timeout));

        // Every read now takes 30 ms: within a hundred samples the delay is past it, so reads stop being hedged.
        for (var i = 0; i < 100; i++)
        {
            latency.Record(TimeSpan.FromMilliseconds(30));
        }

        Assert.True(latency.HedgeDelay(Timeout) >= TimeSpan.FromMilliseconds(30), $"delay {latency.HedgeDelay(Timeout)}");

        for (var i = 0; i < 20_000; i++)
        {
            latency.Record(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(2), latency.HedgeDelay(Timeout));
    }

    [Fact]
    public void TheDelayStaysWithinTwoMillisecondsAndHalfTheReplicaTimeout()
    {
        var latency = new ReplicaLatency();
        for (var i = 0; i < 2_000; i++)
        {
            latency.Record(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(Timeout / 2, latency.HedgeDelay(Timeout));
        Assert.True(latency.Estimate <= TimeSpan.FromSeconds(60));
    }
}
