using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DynamoKad.Bench;

/// <summary>The figures of one run, as a human table and as the one JSON line scripts read.</summary>
internal sealed record BenchResult
{
    public required BenchSettings Settings { get; init; }

    public required LatencyHistogram Latency { get; init; }

    public required long Errors { get; init; }

    public required TimeSpan Measured { get; init; }

    public required TimeSpan ClientCpu { get; init; }

    /// <summary>CPU time of the <c>--server-pid</c> processes over the measured window, when given.</summary>
    public TimeSpan? ServerCpu { get; init; }

    public string? FirstError { get; init; }

    public long Operations => Latency.Count;

    public double OpsPerSecond => Measured > TimeSpan.Zero ? Operations / Measured.TotalSeconds : 0;

    /// <summary>Client CPU over the measured window, in percent of one core.</summary>
    public double ClientCpuPercent => Measured > TimeSpan.Zero ? 100 * ClientCpu.TotalSeconds / Measured.TotalSeconds : 0;

    public double ServerCpuMicrosPerOperation => ServerCpu is { } server && Operations > 0 ? server.TotalMicroseconds / Operations : 0;

    public double Percentile(double quantile) => Latency.ValueAtQuantile(quantile) / 1000.0;

    public string ToText()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"{Settings.Label}: {Operations:N0} ops in {Measured.TotalSeconds:F1} s, {Settings.Concurrency} callers over {Settings.Endpoints.Count} endpoint(s)");
        text.AppendLine(c, $"  throughput  {OpsPerSecond:N0} ops/s");
        text.AppendLine(c, $"  latency ms  p50 {Percentile(0.50):F2}  p90 {Percentile(0.90):F2}  p99 {Percentile(0.99):F2}  p99.9 {Percentile(0.999):F2}  max {Latency.MaxMicros / 1000.0:F2}  mean {Latency.MeanMicros / 1000.0:F2}");
        text.AppendLine(c, $"  errors      {Errors:N0}{(FirstError is null ? string.Empty : $" (first: {FirstError})")}");
        text.Append(c, $"  client CPU  {ClientCpu.TotalSeconds:F1} s ({ClientCpuPercent:F0}% of one core)");
        if (ServerCpu is { } server)
        {
            text.AppendLine();
            text.Append(c, $"  server CPU  {server.TotalSeconds:F1} s ({100 * server.TotalSeconds / Measured.TotalSeconds:F0}% of one core, {ServerCpuMicrosPerOperation:F0} µs per op)");
        }
        return text.ToString();
    }

    /// <summary>One line, snake_case, numbers only where a script compares them.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("target", Settings.Target.ToString().ToLowerInvariant());
            json.WriteString("op", Settings.Operation.ToString().ToLowerInvariant());
            if (Settings.Target == BenchTargetKind.DynamoKad)
            {
                json.WriteString("client", Settings.Session ? "session" : "unary");
            }

            if (Settings.Operation == BenchOperation.Mixed)
            {
                json.WriteNumber("read_ratio", Settings.ReadRatio);
            }

            if (Settings.ReadQuorum is { } r)
            {
                json.WriteNumber("r", r);
            }

            if (Settings.WriteQuorum is { } w)
            {
                json.WriteNumber("w", w);
            }

            json.WriteNumber("endpoints", Settings.Endpoints.Count);
            json.WriteNumber("concurrency", Settings.Concurrency);
            json.WriteNumber("keys", Settings.Keys);
            json.WriteNumber("key_size", Settings.KeySize);
            json.WriteNumber("value_size", Settings.ValueSize);
            json.WriteNumber("duration_s", Round(Measured.TotalSeconds));
            json.WriteNumber("ops", Operations);
            json.WriteNumber("ops_per_sec", Round(OpsPerSecond));
            json.WriteNumber("errors", Errors);
            json.WriteNumber("p50_ms", Round(Percentile(0.50)));
            json.WriteNumber("p90_ms", Round(Percentile(0.90)));
            json.WriteNumber("p99_ms", Round(Percentile(0.99)));
            json.WriteNumber("p999_ms", Round(Percentile(0.999)));
            json.WriteNumber("max_ms", Round(Latency.MaxMicros / 1000.0));
            json.WriteNumber("mean_ms", Round(Latency.MeanMicros / 1000.0));
            json.WriteNumber("client_cpu_s", Round(ClientCpu.TotalSeconds));
            json.WriteNumber("client_cpu_pct", Round(ClientCpuPercent));
            if (ServerCpu is { } server)
            {
                json.WriteNumber("server_cpu_s", Round(server.TotalSeconds));
                json.WriteNumber("server_cpu_us_per_op", Round(ServerCpuMicrosPerOperation));
            }
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static double Round(double value) => Math.Round(value, 3);
}
