using Microsoft.Extensions.Options;

namespace DynamoKad.Storage;

/// <summary>Start-up validation of <see cref="StorageOptions"/>: every message names the setting.</summary>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public const long MinSegmentSizeBytes = 4096;
    public const long MaxSegmentSizeBytes = 1L << 30;
    private const string Section = StorageOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        if (options.DataDir is not null && (options.DataDir.Length == 0 || options.DataDir.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
        {
            failures.Add($"{Section}:DataDir must be a usable directory path (or unset to use the node's data directory); got '{options.DataDir}'.");
        }

        if (!Enum.IsDefined(options.Durability))
        {
            failures.Add($"{Section}:Durability must be Always, Batch or None; got '{(int)options.Durability}'.");
        }

        if (options.FsyncIntervalMs is < 1 or > 10_000)
        {
            failures.Add($"{Section}:FsyncIntervalMs must be between 1 and 10000 milliseconds; got {options.FsyncIntervalMs}.");
        }

        if (options.SegmentSizeBytes is < MinSegmentSizeBytes or > MaxSegmentSizeBytes)
        {
            failures.Add($"{Section}:SegmentSizeBytes must be between {MinSegmentSizeBytes} (4 KiB) and {MaxSegmentSizeBytes} (1 GiB); got {options.SegmentSizeBytes}.");
        }

        if (options.CheckpointIntervalMs is < 1 or > 3_600_000)
        {
            failures.Add($"{Section}:CheckpointIntervalMs must be between 1 and 3600000 milliseconds; got {options.CheckpointIntervalMs}.");
        }

        if (options.ReadCacheBytes < 0)
        {
            failures.Add($"{Section}:ReadCacheBytes must not be negative; got {options.ReadCacheBytes}.");
        }

        if (options.CheckpointMaxPendingWrites is < 1)
        {
            failures.Add($"{Section}:CheckpointMaxPendingWrites must be at least 1; got {options.CheckpointMaxPendingWrites}.");
        }

        if (options.MaxKeyBytes is < 1 or > 64 * 1024)
        {
            failures.Add($"{Section}:MaxKeyBytes must be between 1 and 65536; got {options.MaxKeyBytes}.");
        }

        if (options.MaxValueBytes is < 1 or > 64 * 1024 * 1024)
        {
            failures.Add($"{Section}:MaxValueBytes must be between 1 and 67108864 (64 MiB); got {options.MaxValueBytes}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
