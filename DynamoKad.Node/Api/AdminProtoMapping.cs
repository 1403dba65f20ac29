using DynamoKad.Replication;
using DynamoKad.Storage;
using Google.Protobuf;

namespace DynamoKad.Api;

/// <summary>Replication and storage types to the Admin and KeyValue services' wire messages.</summary>
internal static class AdminProtoMapping
{
    /// <summary>The version's whole clock (its dot folded into its context), as clients see it.</summary>
    public static Protos.V1.VectorClock ToProtoClock(this VersionClock clock)
    {
        var proto = new Protos.V1.VectorClock();
        proto.Entries.AddRange(clock.ToVectorClock().Entries.Select(e => new Protos.V1.ClockEntry
        {
            NodeId = ByteString.CopyFrom(e.Node.ToByteArray()),
            Counter = e.Counter,
            TimestampUnixMs = e.TimestampMs,
        }));
        return proto;
    }

    /// <summary>A stored version for the inspector; a clock replication cannot read is shown empty rather than failing the view.</summary>
    public static Protos.V1.VersionView ToView(this StoredVersion stored)
    {
        var view = new Protos.V1.VersionView { Value = UnsafeByteOperations.UnsafeWrap(stored.Value), Tombstone = stored.Tombstone };
        try
        {
            view.Clock = VersionClock.Decode(stored.Clock).ToProtoClock();
        }
        catch (FormatException)
        {
            view.Clock = new Protos.V1.VectorClock();
        }

        return view;
    }
}
