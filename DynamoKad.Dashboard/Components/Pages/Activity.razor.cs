using DynamoKad.Dashboard.Components.Controls;
using DynamoKad.Dashboard.Metrics;

namespace DynamoKad.Dashboard.Components.Pages;

/// <summary>Request rates, latency percentiles and quorum failures over the last five minutes, from GetStats.</summary>
public partial class Activity : LivePage
{
    private readonly ActivityHistory _history = new(TimeSpan.FromMinutes(5));
    private IReadOnlyList<ChartSeries> _rates = [];
    private IReadOnlyList<ChartSeries> _latencies = [];
    private IReadOnlyList<ChartSeries> _failures = [];
    private DateTimeOffset _end;
    private int _reporting;

    protected override Task OnRefreshedAsync()
    {
        _end = Time.GetUtcNow();
        _reporting = Nodes.Count(n => n.Stats is not null);
        _history.Add(_end, Nodes);

        var samples = _history.Samples;
        _rates = ActivityHistory.Operations
            .Select(op => new ChartSeries(op, samples.Select(s => new ChartPoint(s.At, s.Rates[op])).ToList()))
            .ToList();
        _latencies = ActivityHistory.Operations
            .SelectMany(op => new[]
            {
                new ChartSeries($"{op} p50", samples.Select(s => new ChartPoint(s.At, s.Latencies[op].P50)).ToList()),
                new ChartSeries($"{op} p99", samples.Select(s => new ChartPoint(s.At, s.Latencies[op].P99)).ToList()),
            })
            .ToList();
        _failures =
        [
            new ChartSeries("quorum failures", samples.Select(s => new ChartPoint(s.At, s.QuorumFailuresPerSecond)).ToList()),
            new ChartSeries("failed requests", samples.Select(s => new ChartPoint(s.At, s.FailedPerSecond)).ToList()),
        ];
        return Task.CompletedTask;
    }
}
