extern alias DashboardApp;

using DashboardApp::DynamoKad.Dashboard.Cluster;
using DashboardApp::DynamoKad.Dashboard.Metrics;
using DashboardApp::DynamoKad.Protos.V1;

namespace DynamoKad.Tests.Dashboard;

public sealed class ActivityHistoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TheFirstSnapshotIsOnlyTheBaseline()
    {
        var history = new ActivityHistory(TimeSpan.FromMinutes(5));
        history.Add(Start, [Node("a", puts: 100)]);
        Assert.Empty(history.Samples);
    }

    [Fact]
    public void RatesAreTheCounterDifferencesOverTheElapsedTimeSummedOverNodes()
    {
        var history = new ActivityHistory(TimeSpan.FromMinutes(5));
        history.Add(Start, [Node("a", puts: 100, gets: 10), Node("b", puts: 50)]);
        history.Add(Start.AddSeconds(2), [Node("a", puts: 110, gets: 14, p99: 12.5), Node("b", puts: 56, quorumFailures: 4, p99: 30)]);

        var sample = Assert.Single(history.Samples);
        Assert.Equal(8.0, sample.Rates["put"]);   // (10 + 6) / 2 s
        Assert.Equal(2.0, sample.Rates["get"]);   // 4 / 2 s
        Assert.Equal(0.0, sample.Rates["delete"]);
        Assert.Equal(2.0, sample.QuorumFailuresPerSecond);
        Assert.Equal(30, sample.Latencies["put"].P99); // the slowest node
    }

    [Fact]
    public void ARestartedNodeCountsFromZeroInsteadOfGoingNegative()
    {
        var history = new ActivityHistory(TimeSpan.FromMinutes(5));
        history.Add(Start, [Node("a", puts: 1000)]);
        history.Add(Start.AddSeconds(2), [Node("a", puts: 6)]);

        Assert.Equal(3.0, Assert.Single(history.Samples).Rates["put"]);
    }

    [Fact]
    public void SamplesOlderThanTheWindowAreDropped()
    {
        var history = new ActivityHistory(TimeSpan.FromSeconds(10));
        for (var i = 0; i <= 10; i++)
        {
            history.Add(Start.AddSeconds(2 * i), [Node("a", puts: (ulong)i)]);
        }

        Assert.All(history.Samples, s => Assert.True(s.At >= Start.AddSeconds(10), $"{s.At} is outside the window"));
        Assert.Equal(6, history.Samples.Count);
    }

    private static NodeStatus Node(string name, ulong puts = 0, ulong gets = 0, ulong quorumFailures = 0, double p99 = 0) =>
        new(name, "http://x", Healthy: true, new string('a', 40), "1", TimeSpan.Zero, null)
        {
            Stats = new NodeStats
            {
                QuorumFailures = quorumFailures,
                Operations =
                {
                    new OperationStats { Operation = "put", Total = puts, P50Ms = p99 / 2, P99Ms = p99 },
                    new OperationStats { Operation = "get", Total = gets },
                },
            },
        };
}
