namespace DynamoKad.Replication;

/// <summary>A key and the versions one replica holds for it (empty when it holds none).</summary>
public sealed record KeyVersions(byte[] Key, IReadOnlyList<VersionedValue> Versions);
