using DynamoKad.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DynamoKad.Storage;

/// <summary>Registers the node's storage engine.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>The subdirectory of the node's data directory used when <see cref="StorageOptions.DataDir"/> is unset.</summary>
    public const string DefaultSubdirectory = "storage";

    /// <summary>
    /// Options (<c>DynamoKad:Storage</c>, validated at start), one <see cref="StorageEngine"/> also served
    /// as <see cref="IStorageEngine"/>, a hosted service that opens (and so recovers) it when the host
    /// starts, and the "storage" health check. The container disposes the engine at shutdown, after
    /// every hosted service stopped: that flushes the WAL, checkpoints it into SQLite and closes SQLite.
    /// </summary>
    public static IServiceCollection AddDynamoKadStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var configured = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var options = new StorageOptions
            {
                DataDir = string.IsNullOrWhiteSpace(configured.DataDir)
                    ? Path.Combine(sp.GetRequiredService<IOptions<NodeOptions>>().Value.ResolvedDataDir, DefaultSubdirectory)
                    : configured.DataDir,
                Durability = configured.Durability,
                FsyncIntervalMs = configured.FsyncIntervalMs,
                SegmentSizeBytes = configured.SegmentSizeBytes,
                CheckpointIntervalMs = configured.CheckpointIntervalMs,
                CheckpointMaxPendingWrites = configured.CheckpointMaxPendingWrites,
                MaxKeyBytes = configured.MaxKeyBytes,
                MaxValueBytes = configured.MaxValueBytes,
            };
            return StorageEngine.Open(
                options,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<NodeIdentity>()?.Id.ToByteArray(),
                sp.GetRequiredService<ILogger<StorageEngine>>());
        });
        services.AddSingleton<IStorageEngine>(sp => sp.GetRequiredService<StorageEngine>());
        services.AddHostedService<StorageStartup>();
        services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage");
        return services;
    }
}
