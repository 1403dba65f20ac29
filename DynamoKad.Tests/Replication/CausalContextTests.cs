using System.Buffers.Text;
using DynamoKad.Kademlia;
using DynamoKad.Replication;

namespace DynamoKad.Tests.Replication;

public sealed class CausalContextTests
{
    private static readonly CausalContextCodec Codec = new("cluster-secret");
    private static readonly VectorClock Clock = VectorClock.From([new ClockEntry(NodeId.Parse(new string('1', 40)), 42, 7)]);

    [Fact]
    public void ATokenRoundTripsAndAnEmptyOneIsABlindWrite()
    {
        var token = Codec.Encode(Clock);

        Assert.Equal(Clock, Codec.Decode(token));
        Assert.Equal(VectorClock.Empty, Codec.Decode(""));
        Assert.Equal(VectorClock.Empty, Codec.Decode(null));
        Assert.DoesNotContain('+', token);
        Assert.DoesNotContain('/', token);
        Assert.False(Codec.UsesDevelopmentKey);
        Assert.True(new CausalContextCodec(null).UsesDevelopmentKey);
    }

    [Fact]
    public void ATamperedTokenIsRejected()
    {
        var bytes = Base64Url.DecodeFromChars(Codec.Encode(Clock));
        bytes[5] ^= 0x01; // inside the clock: e.g. raise a counter to discard versions never read

        var ex = Assert.Throws<InvalidCausalContextException>(() => Codec.Decode(Base64Url.EncodeToString(bytes)));
        Assert.StartsWith("context", ex.Message, StringComparison.Ordinal);
        Assert.Contains("integrity", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATokenFromAnotherClusterIsRejected()
    {
        var foreign = new CausalContextCodec("other-secret").Encode(Clock);

        Assert.Throws<InvalidCausalContextException>(() => Codec.Decode(foreign));
    }

    [Theory]
    [InlineData("not base64url!")]
    [InlineData("AQ")]
    [InlineData("AAAA")]
    public void MalformedOrTruncatedTokensAreRejectedNamingContext(string token)
    {
        var ex = Assert.Throws<InvalidCausalContextException>(() => Codec.Decode(token));
        Assert.StartsWith("context", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATokenOfAnUnknownVersionIsRejected()
    {
        var bytes = Base64Url.DecodeFromChars(Codec.Encode(Clock));
        bytes[0] = 9;

        var ex = Assert.Throws<InvalidCausalContextException>(() => Codec.Decode(Base64Url.EncodeToString(bytes)));
        Assert.Contains("version 9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACutShortTokenIsRejected()
    {
        var token = Codec.Encode(Clock);

        Assert.Throws<InvalidCausalContextException>(() => Codec.Decode(token[..^4]));
    }
}
