using System.Collections.Concurrent;
using System.Diagnostics;

namespace DynamoKad.Tests.Telemetry;

/// <summary>
/// Records every activity the process starts (any source, all data) while it lives. The listener is
/// process-wide, so tests running in parallel add theirs too: look spans up by trace id.
/// </summary>
internal sealed class ActivityCollector : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public ActivityCollector()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> InTrace(ActivityTraceId trace) => [.. _stopped.Where(a => a.TraceId == trace)];

    /// <summary>Every activity stopped since the collector started, of any trace.</summary>
    public IReadOnlyList<Activity> Stopped => [.. _stopped];

    /// <summary>Waits until <paramref name="done"/> holds for the spans of <paramref name="trace"/> (servers stop their spans after answering).</summary>
    public async Task<IReadOnlyList<Activity>> WaitForTraceAsync(ActivityTraceId trace, Func<IReadOnlyList<Activity>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var spans = InTrace(trace);
            if (done(spans) || DateTime.UtcNow > deadline)
            {
                return spans;
            }

            await Task.Delay(20);
        }
    }

    public void Dispose() => _listener.Dispose();
}
