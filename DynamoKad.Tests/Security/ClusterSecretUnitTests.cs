using System.Net;
using DynamoKad.Security;

namespace DynamoKad.Tests.Security;

public sealed class ClusterSecretUnitTests
{
    [Fact]
    public void OnlyTheExactSecretMatches()
    {
        var secret = new ClusterSecret("0123456789abcdef");

        Assert.True(secret.Matches("0123456789abcdef"));
        Assert.False(secret.Matches("0123456789abcdeF"));
        Assert.False(secret.Matches("0123456789abcde"));
        Assert.False(secret.Matches(""));
        Assert.False(secret.Matches(null));
    }

    [Fact]
    public void WithoutASecretEverythingMatchesAndNothingIsConfigured()
    {
        var none = new ClusterSecret("   ");

        Assert.False(none.IsConfigured);
        Assert.True(none.Matches(null));
    }

    [Theory]
    [InlineData("0.0.0.0:7000", false, "127.0.0.1:7000")]
    [InlineData("[::]:7000", false, "[::1]:7000")]
    [InlineData("10.1.2.3:7000", false, "127.0.0.1:7000")]
    [InlineData("127.0.0.1:7000", false, "127.0.0.1:7000")]
    [InlineData("0.0.0.0:7000", true, "0.0.0.0:7000")]
    public void WithoutASecretANodeBindsOnlyToLoopback(string configured, bool secret, string expected)
    {
        Assert.Equal(expected, LoopbackBinding.Restrict(IPEndPoint.Parse(configured), secret).ToString());
    }

    [Theory]
    [InlineData("/dynamokad.v1.Replica/Write", true)]
    [InlineData("/dynamokad.v1.Kademlia/Ping", true)]
    [InlineData("/dynamokad.v1.Admin/SetFaults", true)]
    [InlineData("/dynamokad.v1.KeyValue/Put", false)]
    [InlineData("/grpc.health.v1.Health/Check", false)]
    [InlineData("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", false)]
    public void TheSecretGuardsNodeToNodeAndAdminServicesOnly(string method, bool guarded)
    {
        Assert.Equal(guarded, ClusterSecretServerInterceptor.IsIn(ClusterSecretServerInterceptor.ProtectedServices, method));
    }
}
