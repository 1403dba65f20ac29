using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace DynamoKad.Transport;

/// <summary>Replication domain types to and from the Replica service's wire messages.</summary>
internal static class ReplicaProtoMapping
{
    public static ReplicaVersion ToProto(this VersionedValue version) => new()
    {
        Clock = UnsafeByteOperations.UnsafeWrap(version.Clock.Encode()),
        Value = UnsafeByteOperations.UnsafeWrap(version.Value),
        Tombstone = version.Tombstone,
    };

    /// <summary>A stored version as replicas exchange it: the stored clock is replication's own encoding already.</summary>
    public static ReplicaVersion ToProto(this Storage.StoredVersion version) => new()
    {
        Clock = UnsafeByteOperations.UnsafeWrap(version.Clock),
        Value = UnsafeByteOperations.UnsafeWrap(version.Value),
        Tombstone = version.Tombstone,
    };

    /// <summary>
    /// The version a replica message carries. Its clock and value take the message's own arrays when the parser made
    /// them (no copy; the message is dropped after), and the clock keeps its bytes as its encoding, so storing or
    /// forwarding the version encodes nothing.
    /// </summary>
    /// <exception cref="FormatException">The clock is not one replication wrote.</exception>
    public static VersionedValue ToDomain(this ReplicaVersion version) =>
        new(VersionClock.Decode(Owned(version.Clock)), Owned(version.Value), version.Tombstone);

    /// <summary>
    /// The bytes of <paramref name="bytes"/>: the array under it when it spans one whole (as a parsed message's
    /// fields do, each in a fresh array of its own), else a copy. Never mutated after, as no stored array is.
    /// </summary>
    private static byte[] Owned(ByteString bytes) =>
        MemoryMarshal.TryGetArray(bytes.Memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : bytes.ToByteArray();

    public static Protos.V1.KeyVersions ToProto(this Replication.KeyVersions entry)
    {
        var proto = new Protos.V1.KeyVersions { Key = ByteString.CopyFrom(entry.Key) };
        proto.Versions.AddRange(entry.Versions.Select(ToProto));
        return proto;
    }

    public static Replication.KeyVersions ToDomain(this Protos.V1.KeyVersions entry) =>
        new(entry.Key.ToByteArray(), [.. entry.Versions.Select(ToDomain)]);

    public static Protos.V1.KeyDigest ToProto(this Replication.KeyDigest digest) => new()
    {
        Key = ByteString.CopyFrom(digest.Key),
        Digest = ByteString.CopyFrom(digest.Digest),
    };

    public static Replication.KeyDigest ToDomain(this Protos.V1.KeyDigest digest) =>
        new(digest.Key.ToByteArray(), digest.Digest.ToByteArray());
}
