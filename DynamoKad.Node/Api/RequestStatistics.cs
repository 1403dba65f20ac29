using DynamoKad.Replication;

namespace DynamoKad.Api;

/// <summary>
/// Client request counts and latency percentiles over the last minute, per operation, for Admin.GetStats.
/// Both client APIs (gRPC KeyValue and HTTP JSON) record into it.
/// </summary>
internal sealed class RequestStatistics(TimeProvider time)
{
    public static readonly IReadOnlyList<string> Operations = ["put", "get", "delete"];

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int MaxSamples = 10_000; // per operation: bounds memory under load; percentiles stay representative

    private readonly Dictionary<string, Operation> _operations = Operations.ToDictionary(o => o, _ => new Operation());
    private long _quorumFailures;

    public long QuorumFailures => Interlocked.Read(ref _quorumFailures);

    /// <summary>When a request starts: pass it to <see cref="MeasureAsync"/> with the request's task.</summary>
    public long Timestamp() => time.GetTimestamp();

    /// <summary>The time since <paramref name="started"/>, a <see cref="Timestamp"/>.</summary>
    public TimeSpan Elapsed(long started) => time.GetElapsedTime(started);

    /// <summary>
    /// Awaits one client request of <paramref name="operation"/>, started at <paramref name="started"/> (taken before
    /// the task, so its synchronous part counts), and records its outcome and latency. A task, not a delegate: no
    /// closure per request.
    /// </summary>
    public async Task<T> MeasureAsync<T>(string operation, long started, Task<T> request)
    {
        Exception? failure = null;
        try
        {
            return await request;
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            Completed(operation, started, failure);
        }
    }

    /// <summary>
    /// Records one request of <paramref name="operation"/> started at <paramref name="started"/> that has just ended,
    /// with the exception it failed with, if any: for callers that await the request in their own async method.
    /// </summary>
    public void Completed(string operation, long started, Exception? failure)
    {
        if (failure is QuorumNotReachedException)
        {
            Interlocked.Increment(ref _quorumFailures);
        }

        Record(operation, time.GetElapsedTime(started), failure is not null);
    }

    public void Record(string operation, TimeSpan elapsed, bool failed)
    {
        var op = _operations[operation];
        var now = time.GetTimestamp();
        lock (op)
        {
            op.Total++;
            op.Failed += failed ? 1 : 0;
            op.Samples.Enqueue((now, elapsed.TotalMilliseconds));
            while (op.Samples.Count > MaxSamples)
            {
                op.Samples.Dequeue();
            }
        }
    }

    /// <summary>Per operation: totals since start and p50/p99 in milliseconds over the last minute (0 when idle).</summary>
    public IReadOnlyList<(string Operation, long Total, long Failed, double P50, double P99)> Snapshot()
    {
        var result = new List<(string, long, long, double, double)>();
        foreach (var name in Operations)
        {
            var op = _operations[name];
            double[] recent;
            long total, failed;
            lock (op)
            {
                while (op.Samples.TryPeek(out var oldest) && time.GetElapsedTime(oldest.Timestamp) > Window)
                {
                    op.Samples.Dequeue();
                }

                recent = [.. op.Samples.Select(s => s.Ms)];
                total = op.Total;
                failed = op.Failed;
            }

            Array.Sort(recent);
            result.Add((name, total, failed, Percentile(recent, 0.50), Percentile(recent, 0.99)));
        }

        return result;
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed class Operation
    {
        public long Total;
        public long Failed;
        public readonly Queue<(long Timestamp, double Ms)> Samples = new();
    }
}
