namespace DynamoKad.Replication;

/// <summary>A successful write: a context covering the new version, and the acknowledgements it had when it answered.</summary>
public sealed record PutResult(string Context, int Acks, VersionedValue Version);
