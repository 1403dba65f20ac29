using DynamoKad.Protos.V1;
using DynamoKad.Replication;
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

    /// <exception cref="FormatException">The clock is not one replication wrote.</exception>
    public static VersionedValue ToDomain(this ReplicaVersion version) =>
        new(VersionClock.Decode(version.Clock.Span), version.Value.ToByteArray(), version.Tombstone);

    /// <summary>
    /// <see cref="ToDomain(ReplicaVersion)"/> for a version this node is about to store: its clock keeps a copy of
    /// the wire bytes as its encoding, so storing it does not encode it again.
    /// </summary>
    public static VersionedValue ToDomainForStorage(this ReplicaVersion version) =>
        new(VersionClock.Decode(version.Clock.ToByteArray()), version.Value.ToByteArray(), version.Tombstone);

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
