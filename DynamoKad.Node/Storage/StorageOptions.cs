namespace DynamoKad.Storage;

/// <summary>Settings of the node's storage engine (configuration section <c>DynamoKad:Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "DynamoKad:Storage";

    /// <summary>Where the WAL segments and the SQLite file live; defaults to the node's data directory.</summary>
    public string? DataDir { get; set; }

    /// <summary>When a write is acknowledged: Always (default), Batch or None (unsafe).</summary>
    public DurabilityMode Durability { get; set; } = DurabilityMode.Always;

    /// <summary>With <see cref="DurabilityMode.Batch"/>: how often the log is fsynced.</summary>
    public int FsyncIntervalMs { get; set; } = 10;

    /// <summary>Size a WAL segment is preallocated to; a segment rolls over once full.</summary>
    public long SegmentSizeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How often the background checkpoint moves acknowledged writes from the WAL into SQLite (it also
    /// runs early at <see cref="CheckpointMaxPendingWrites"/>). Long by default: every checkpoint
    /// rewrites the index pages its random-hash keys land on, so fewer, larger checkpoints write far
    /// less; the writes wait durable in the WAL and readable in the memtable meanwhile.
    /// </summary>
    public int CheckpointIntervalMs { get; set; } = 30_000;

    /// <summary>
    /// A checkpoint starts early once this many acknowledged writes wait for one: it bounds the WAL
    /// past the last checkpoint, and with it the memtable (one entry per key written since, about
    /// 400 bytes for a small one) and the time a restart spends replaying.
    /// </summary>
    public int CheckpointMaxPendingWrites { get; set; } = 250_000;

    /// <summary>
    /// Memory for keys a checkpoint moved out of the memtable, kept so that reads and read-modify-writes of
    /// recently written keys do not query SQLite (0 turns it off). Over the limit, entries are dropped at random.
    /// </summary>
    public long ReadCacheBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Longest key accepted, in bytes.</summary>
    public int MaxKeyBytes { get; set; } = 1024;

    /// <summary>Longest value accepted, in bytes.</summary>
    public int MaxValueBytes { get; set; } = 1024 * 1024;
}
