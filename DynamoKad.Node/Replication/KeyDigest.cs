namespace DynamoKad.Replication;

/// <summary>A key and the digest of its versions (<see cref="Siblings.Digest"/>), for anti-entropy.</summary>
public sealed record KeyDigest(byte[] Key, byte[] Digest);
