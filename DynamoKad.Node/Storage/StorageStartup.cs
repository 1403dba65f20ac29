using Microsoft.Extensions.Options;

namespace DynamoKad.Storage;

/// <summary>
/// Opens the storage engine when the host starts, so recovery runs (and a damaged store stops the
/// node) before the node serves anything, not on the first request.
/// </summary>
internal sealed class StorageStartup(IServiceProvider services, IOptions<StorageOptions> options, ILogger<StorageStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var engine = services.GetRequiredService<StorageEngine>();
        logger.LogInformation(
            "Storage open in {DataDir} (durability {Durability}, {Recovered} WAL records recovered)",
            Path.GetFullPath(engine.DataDir), options.Value.Durability, engine.RecoveredRecords);
        return Task.CompletedTask;
    }

    // Closing is the container's job: it disposes the engine after every hosted service has stopped.
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
