namespace DynamoKad.Storage;

/// <summary>When an append to the write-ahead log counts as acknowledged.</summary>
public enum DurabilityMode
{
    /// <summary>After the fsync that covers the record (group commit shares one fsync among concurrent appends).</summary>
    Always,

    /// <summary>After the next periodic fsync (every <see cref="StorageOptions.FsyncIntervalMs"/>): fewer fsyncs, longer acks.</summary>
    Batch,

    /// <summary>
    /// UNSAFE: after the write reaches the operating system, with no fsync at all. A machine crash or power
    /// loss can lose acknowledged writes. For tests and benchmarks only.
    /// </summary>
    None,
}
