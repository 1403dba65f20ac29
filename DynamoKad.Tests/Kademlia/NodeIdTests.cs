using DynamoKad.Kademlia;

namespace DynamoKad.Tests.Kademlia;

public sealed class NodeIdTests
{
    [Fact]
    public void HexRoundTripsThroughParseAndToString()
    {
        var id = NodeId.Random(new Random(7));
        Assert.Equal(id, NodeId.Parse(id.ToString()));
        Assert.Equal(id, NodeId.FromBytes(id.ToByteArray()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz23456789abcdef0123456789abcdef01234567")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789")]
    public void MalformedHexIsRejected(string hex) => Assert.False(NodeId.TryParse(hex, out _));

    [Fact]
    public void XorDistanceIsSymmetricAndZeroOnlyToItself()
    {
        var random = new Random(1);
        for (var i = 0; i < 100; i++)
        {
            var a = NodeId.Random(random);
            var b = NodeId.Random(random);
            Assert.Equal(a ^ b, b ^ a);
            Assert.True((a ^ a).IsZero);
            Assert.False((a ^ b).IsZero);
        }
    }

    [Fact]
    public void BucketIndexIsTheHighestDifferingBit()
    {
        var zero = NodeId.Zero;
        Assert.Equal(-1, zero.BucketIndexOf(zero));
        Assert.Equal(159, zero.BucketIndexOf(zero.FlipBit(0)));
        Assert.Equal(0, zero.BucketIndexOf(zero.FlipBit(159)));
        Assert.Equal(96, zero.BucketIndexOf(zero.FlipBit(63)));
        Assert.Equal(32, zero.BucketIndexOf(zero.FlipBit(127)));
    }

    [Fact]
    public void OrderingIsUnsignedBigEndian()
    {
        var low = NodeId.Parse("0000000000000000000000000000000000000001");
        var high = NodeId.Parse("8000000000000000000000000000000000000000");
        Assert.True(low < high);
        Assert.True(NodeId.Max > high);
    }

    [Fact]
    public void KeyIdIsSha1OfTheKey()
    {
        // SHA-1("abc") from FIPS 180-1.
        Assert.Equal("a9993e364706816aba3e25717850c26c9cd0d89d", NodeId.ForKey("abc"u8).ToString());
    }
}
