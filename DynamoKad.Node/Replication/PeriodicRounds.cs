using Microsoft.Extensions.Logging;

namespace DynamoKad.Replication;

/// <summary>
/// The loop shared by the repair services (hinted handoff, anti-entropy): one round per interval on the
/// injected clock; a failed round is logged and the next one runs as usual, so one bad peer or key never
/// stops repair for good.
/// </summary>
internal static class PeriodicRounds
{
    public static async Task RunAsync(
        TimeSpan interval,
        TimeProvider time,
        Func<CancellationToken, Task<int>> round,
        Action<int> reportProgress,
        ILogger logger,
        string roundName,
        CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var done = await round(stoppingToken);
                if (done > 0)
                {
                    reportProgress(done);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "{Round} round failed", roundName);
            }
        }
    }
}
