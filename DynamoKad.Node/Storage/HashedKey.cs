using System.Security.Cryptography;

namespace DynamoKad.Storage;

/// <summary>
/// A key with its SHA-1: the hash storage locks, orders and files the key by, which is also the key's Kademlia id
/// (<see cref="Kademlia.NodeId.ForKey"/>). Made once per request on a node and handed down, so placement, storage and
/// the anti-entropy index do not each hash the key again (a SHA-1 through OpenSSL costs about 1.3 µs for a 16-byte
/// key on the benchmark machine, and a put hashed its key seven times across the cluster).
/// </summary>
public sealed class HashedKey
{
    private HashedKey(byte[] key, byte[] hash)
    {
        Key = key;
        Hash = hash;
    }

    /// <summary>The key's bytes. Owned once hashed: callers must not mutate them.</summary>
    public byte[] Key { get; }

    /// <summary>SHA-1 of <see cref="Key"/>, 20 bytes.</summary>
    public byte[] Hash { get; }

    public static HashedKey Of(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new HashedKey(key, SHA1.HashData(key));
    }
}
