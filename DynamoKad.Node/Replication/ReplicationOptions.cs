namespace DynamoKad.Replication;

/// <summary>Replication settings (configuration section <c>DynamoKad:Replication</c>).</summary>
public sealed class ReplicationOptions
{
    public const string SectionName = "DynamoKad:Replication";

    /// <summary>Replicas per key: the N nodes closest to SHA-1(key).</summary>
    public int N { get; set; } = 3;

    /// <summary>Replica answers a read waits for.</summary>
    public int R { get; set; } = 2;

    /// <summary>Durable acknowledgements a write waits for.</summary>
    public int W { get; set; } = 2;

    /// <summary>Deadline of every replica call.</summary>
    public int ReplicaTimeoutMs { get; set; } = 2000;

    /// <summary>Extra candidates past the N preferred, tried in order when a preferred replica fails (sloppy quorum).</summary>
    public int FallbackCandidates { get; set; } = 3;

    /// <summary>Vector clock entries kept in a version's context before the oldest are pruned.</summary>
    public int MaxClockEntries { get; set; } = 10;

    /// <summary>How long a tombstone is kept at least, even once every replica has it.</summary>
    public long TombstoneGraceMs { get; set; } = 24L * 60 * 60 * 1000;

    public int HintDeliveryIntervalMs { get; set; } = 5000;

    /// <summary>Hints delivered at most per round (rate limit).</summary>
    public int HintDeliveryBatch { get; set; } = 100;

    public int AntiEntropyIntervalMs { get; set; } = 30_000;

    /// <summary>
    /// A key whose newest version is younger than this is left out of anti-entropy's Merkle trees until a later
    /// round: the write that made it is still reaching its replicas, and every write carries the whole sibling set,
    /// so comparing it now only finds differences the write path is about to remove (under write load that was
    /// ~40 % of the leaves differing every round). 0 compares every key.
    /// </summary>
    public int AntiEntropySettleMs { get; set; } = 5000;

    /// <summary>Differing keys exchanged at most per peer per round (rate limit).</summary>
    public int AntiEntropyMaxKeysPerRound { get; set; } = 1000;

    public bool ReadRepair { get; set; } = true;

    /// <summary>
    /// Replica writes and reads go to each peer over a replica link (plain TCP to the peer's gRPC port, the same
    /// frames without HTTP/2; specs/v1/replica.proto) instead of a <c>Replica.Stream</c> call. Either way the peer
    /// serves both; false keeps every byte between nodes on gRPC.
    /// </summary>
    public bool ReplicaLinks { get; set; } = true;
}
