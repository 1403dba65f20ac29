namespace DynamoKad.Replication;

/// <summary>
/// A write a preferred replica coordinated: the new version, the acknowledgements at the answer, a context covering
/// the version and <paramref name="Siblings"/> (live versions concurrent with it, held beside it), and nothing else.
/// </summary>
public sealed record CoordinatedWrite(VersionedValue Version, int Acks, string Context, IReadOnlyList<VersionedValue> Siblings);
