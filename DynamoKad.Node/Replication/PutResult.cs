namespace DynamoKad.Replication;

/// <summary>
/// A successful write: a context covering the new version and <paramref name="Siblings"/> (values written
/// concurrently that the coordinating replica holds beside it; usually none), and the acknowledgements it had
/// when it answered.
/// </summary>
public sealed record PutResult(string Context, int Acks, VersionedValue Version, IReadOnlyList<VersionedValue> Siblings);
