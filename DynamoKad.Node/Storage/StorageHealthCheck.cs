using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DynamoKad.Storage;

/// <summary>"storage": unhealthy once the WAL failed a write or fsync (the engine then refuses writes).</summary>
internal sealed class StorageHealthCheck(StorageEngine engine) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (engine.Fault is { } fault)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The write-ahead log failed; writes are refused.", fault));
        }

        var stats = engine.GetStats();
        return Task.FromResult(HealthCheckResult.Healthy(
            $"{stats.Keys} keys, {stats.HintsPending} hints, WAL {stats.WalBytes} bytes in {stats.WalSegments} segments"));
    }
}
