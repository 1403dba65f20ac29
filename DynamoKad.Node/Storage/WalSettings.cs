namespace DynamoKad.Storage;

/// <summary>What the write-ahead log itself needs to know, taken from <see cref="StorageOptions"/>.</summary>
internal sealed record WalSettings(DurabilityMode Durability, TimeSpan FsyncInterval, long SegmentSizeBytes)
{
    public static WalSettings From(StorageOptions options) =>
        new(options.Durability, TimeSpan.FromMilliseconds(options.FsyncIntervalMs), options.SegmentSizeBytes);
}
