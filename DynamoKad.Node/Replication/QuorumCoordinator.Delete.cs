using DynamoKad.Storage;

namespace DynamoKad.Replication;

public sealed partial class QuorumCoordinator
{
    /// <summary>
    /// Writes a tombstone that supersedes what <paramref name="context"/> covers. Without a context the
    /// coordinator reads first (at R) and deletes what that read saw, so "delete key" means what it says;
    /// a write concurrent with the delete survives it as a sibling.
    /// </summary>
    /// <exception cref="InvalidCausalContextException">The context is not a valid token.</exception>
    /// <exception cref="QuorumValidationException">The overrides make no sense.</exception>
    /// <exception cref="QuorumNotReachedException">Fewer than R answered the read or W acknowledged the tombstone.</exception>
    public async Task<DeleteResult> DeleteAsync(ReadOnlyMemory<byte> key, string? context, QuorumOverrides? overrides, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        Exception? failure = null;
        try
        {
            return await DeleteCoreAsync(key, context, overrides, cancellationToken);
        }
        catch (Exception ex) when (Record(ex, out failure))
        {
            throw; // not reached: the filter records the failure and declines
        }
        finally
        {
            Measured("delete", started, failure);
        }
    }

    private async Task<DeleteResult> DeleteCoreAsync(ReadOnlyMemory<byte> key, string? context, QuorumOverrides? overrides, CancellationToken cancellationToken)
    {
        var quorum = QuorumSettings.Resolve(options.Value, overrides);
        var keyBytes = ValidateKey(key);
        var clock = contexts.Decode(context);
        // Started before the read a blind delete makes, so that read is a child span of the delete.
        using var activity = ReplicationTelemetry.StartRequest("kv.delete", quorum, keyBytes);
        if (string.IsNullOrEmpty(context))
        {
            var read = await GetCoreAsync(key, overrides, measured: false, cancellationToken);
            clock = contexts.Decode(read.Context);
        }

        var write = await WriteVersionAsync(HashedKey.Of(keyBytes), clock, [], tombstone: true, quorum, forwarded: false, cancellationToken);
        activity?.SetTag("dynamokad.replicas_answered", write.Acks);
        return new DeleteResult(write.Acks, write.Version);
    }
}
