using DynamoKad.Storage;

namespace DynamoKad.Replication;

/// <summary>One version of a key as replication sees it. A tombstone is a delete, versioned like any value.</summary>
public sealed record VersionedValue(VersionClock Clock, byte[] Value, bool Tombstone)
{
    public StoredVersion ToStored() => new(Clock.Encode(), Value, Tombstone);

    /// <exception cref="FormatException">The stored clock is not one replication wrote.</exception>
    /// <remarks>The clock keeps the stored bytes as its encoding, so storing the version again encodes nothing.</remarks>
    public static VersionedValue FromStored(StoredVersion stored) =>
        new(VersionClock.Decode(stored.Clock), stored.Value, stored.Tombstone);
}
