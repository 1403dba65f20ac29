using System.Runtime.InteropServices;
using DynamoKad.Kademlia;
using ReplicaVersion = DynamoKad.Protos.V1.ReplicaVersion;
using DynamoKad.Replication;
using DynamoKad.Transport;
using Google.Protobuf;

namespace DynamoKad.Tests.Replication;

public sealed class ReplicaProtoMappingTests
{
    private static readonly VersionClock Clock = new(new ClockEntry(NodeId.Parse(new string('a', 40)), 3, 30), VectorClock.Empty);

    [Fact]
    public void AParsedVersionIsDecodedIntoTheMessagesOwnArraysWithoutCopies()
    {
        var sent = new VersionedValue(Clock, [1, 2, 3, 4], Tombstone: false).ToProto();
        var parsed = ReplicaVersion.Parser.ParseFrom(sent.ToByteArray());

        var version = parsed.ToDomain();

        Assert.Same(ArrayOf(parsed.Value), version.Value);
        Assert.Same(ArrayOf(parsed.Clock), version.Clock.Encode());
        Assert.Equal(Clock, version.Clock);
        Assert.Equal([1, 2, 3, 4], version.Value);
    }

    [Fact]
    public void BytesThatAreAPartOfAnArrayAreCopied()
    {
        var buffer = new byte[] { 9, 1, 2, 3, 9 };
        var encoded = Clock.Encode();
        var clockBuffer = new byte[encoded.Length + 1];
        encoded.CopyTo(clockBuffer, 1);
        var message = new ReplicaVersion
        {
            Clock = UnsafeByteOperations.UnsafeWrap(clockBuffer.AsMemory(1)),
            Value = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(1, 3)),
        };

        var version = message.ToDomain();

        Assert.Equal([1, 2, 3], version.Value);
        Assert.Equal(encoded, version.Clock.Encode());
        buffer[2] = 0;
        clockBuffer[^1] ^= 0xff;
        Assert.Equal([1, 2, 3], version.Value);
        Assert.Equal(encoded, version.Clock.Encode());
    }

    private static byte[] ArrayOf(ByteString bytes)
    {
        Assert.True(MemoryMarshal.TryGetArray(bytes.Memory, out var segment));
        return segment.Array!;
    }
}
