using DynamoKad.Hosting;

namespace DynamoKad.Tests.MultiHost;

public sealed class SeedResolverTests
{
    [Fact]
    public async Task SeedsGivenByAddressOrAsLocalhostStayAsTheyAre()
    {
        var seeds = await SeedResolver.ExpandAsync(["127.0.0.1:7000", "http://10.0.0.1:7001/", "http://[::1]:7002", "localhost:7003", " "], CancellationToken.None);

        Assert.Equal(["127.0.0.1:7000", "http://10.0.0.1:7001", "http://[::1]:7002", "localhost:7003"], seeds);
    }

    [Fact]
    public async Task ASeedGivenByNameBecomesOneSeedPerResolvedAddress()
    {
        // The machine's own host name resolves through the same resolver a headless service name would.
        var host = System.Net.Dns.GetHostName();
        var addresses = await System.Net.Dns.GetHostAddressesAsync(host);
        Assert.NotEmpty(addresses);

        var seeds = await SeedResolver.ExpandAsync([$"{host}:7000"], CancellationToken.None);

        Assert.NotEmpty(seeds);
        Assert.All(seeds, s => Assert.Matches(@"^http://(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:%.A-Za-z]+\]):7000$", s));
        Assert.Equal(addresses.Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Distinct().Count(), seeds.Count);
    }

    [Fact]
    public async Task ANameThatDoesNotResolveStaysANameToBeTriedAgain()
    {
        var seeds = await SeedResolver.ExpandAsync(["http://no-such-node.invalid:7000"], CancellationToken.None);

        Assert.Equal(["http://no-such-node.invalid:7000"], seeds);
    }
}
