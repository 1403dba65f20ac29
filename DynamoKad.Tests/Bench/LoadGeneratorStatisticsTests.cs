using System.Text.Json;
using DynamoKad.Bench;

namespace DynamoKad.Tests.Bench;

public class LoadGeneratorStatisticsTests
{
    [Fact]
    public void PercentilesOfOneToTenThousandMicrosecondsAreWithinTheHistogramsResolution()
    {
        var histogram = new LatencyHistogram();
        for (var micros = 1; micros <= 10_000; micros++)
        {
            histogram.Record(micros);
        }

        Assert.Equal(10_000, histogram.Count);
        Assert.Equal(500, histogram.ValueAtQuantile(0.05));
        AssertWithin(5_000, histogram.ValueAtQuantile(0.50));
        AssertWithin(9_000, histogram.ValueAtQuantile(0.90));
        AssertWithin(9_900, histogram.ValueAtQuantile(0.99));
        AssertWithin(9_990, histogram.ValueAtQuantile(0.999));
        Assert.Equal(10_000, histogram.ValueAtQuantile(1.0));
        Assert.Equal(5_000.5, histogram.MeanMicros, 3);
    }

    [Fact]
    public void MergingPerCallerHistogramsEqualsRecordingIntoOne()
    {
        var random = new Random(7);
        var one = new LatencyHistogram();
        var parts = new[] { new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram() };
        for (var i = 0; i < 30_000; i++)
        {
            var micros = (long)Math.Exp(random.NextDouble() * 16); // 1 µs .. ~9 s
            one.Record(micros);
            parts[i % parts.Length].Record(micros);
        }

        var merged = new LatencyHistogram();
        foreach (var part in parts)
        {
            merged.Add(part);
        }

        foreach (var q in new[] { 0.5, 0.9, 0.99, 0.999 })
        {
            Assert.Equal(one.ValueAtQuantile(q), merged.ValueAtQuantile(q));
        }

        Assert.Equal(one.MaxMicros, merged.MaxMicros);
    }

    [Fact]
    public void EveryValueFallsInABucketWhoseHighestValueIsAtLeastItAndWithinAFiveHundredth()
    {
        for (long micros = 0; micros < 1L << 34; micros = (micros * 3 / 2) + 1)
        {
            var highest = LatencyHistogram.HighestInBucket(LatencyHistogram.IndexOf(micros));
            Assert.InRange(highest, micros, micros + Math.Max(0, micros / 500));
        }
    }

    [Fact]
    public void TheJsonLineIsOneLineWithTheFiguresScriptsRead()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(1_000);
        histogram.Record(3_000);
        var result = new BenchResult
        {
            Settings = new BenchSettings { Target = BenchTargetKind.Etcd, Endpoints = [new Uri("http://127.0.0.1:2379")], Operation = BenchOperation.Mixed },
            Latency = histogram,
            Errors = 1,
            Measured = TimeSpan.FromSeconds(2),
            ClientCpu = TimeSpan.FromSeconds(1),
        };

        var line = result.ToJson();
        Assert.DoesNotContain('\n', line);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("etcd", root.GetProperty("target").GetString());
        Assert.Equal("mixed", root.GetProperty("op").GetString());
        Assert.Equal(0.5, root.GetProperty("read_ratio").GetDouble());
        Assert.Equal(2, root.GetProperty("ops").GetInt64());
        Assert.Equal(1.0, root.GetProperty("ops_per_sec").GetDouble());
        Assert.Equal(1, root.GetProperty("errors").GetInt64());
        Assert.Equal(1.0, root.GetProperty("p50_ms").GetDouble());
        Assert.Equal(3.0, root.GetProperty("p99_ms").GetDouble());
        Assert.Equal(50.0, root.GetProperty("client_cpu_pct").GetDouble());
        foreach (var name in new[] { "p90_ms", "p999_ms", "max_ms", "mean_ms", "concurrency", "keys", "key_size", "value_size", "duration_s" })
        {
            Assert.True(root.TryGetProperty(name, out _), name);
        }

        Assert.False(root.TryGetProperty("server_cpu_s", out _));
    }

    [Fact]
    public void KeysHaveExactlyTheRequestedSizeAndAreDistinct()
    {
        var keys = BenchRunner.MakeKeys(1_000, 16);
        Assert.All(keys, k => Assert.Equal(16, k.Length));
        Assert.Equal(1_000, keys.Select(k => k.ToBase64()).Distinct().Count());
    }

    [Fact]
    public void EndpointsMayBeRepeatedOrCommaSeparatedAndDefaultToHttp()
    {
        var endpoints = BenchCommand.ParseEndpoints(["127.0.0.1:1,http://127.0.0.1:2", "127.0.0.1:3"]);
        Assert.Equal(["http://127.0.0.1:1/", "http://127.0.0.1:2/", "http://127.0.0.1:3/"], endpoints.Select(e => e.ToString()));
    }

    private static void AssertWithin(long expected, long actual) => Assert.InRange(actual, expected, expected + (expected / 500) + 1);
}
