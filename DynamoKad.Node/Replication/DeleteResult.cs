namespace DynamoKad.Replication;

/// <summary>A successful delete: the tombstone reached <see cref="Acks"/> replicas when it answered.</summary>
public sealed record DeleteResult(int Acks, VersionedValue Tombstone);
