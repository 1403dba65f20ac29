using DynamoKad.Hosting;
using DynamoKad.Kademlia;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DynamoKad.Tests.Kademlia;

public sealed class KademliaServiceRegistrationTests
{
    [Fact]
    public void TheNodeIsTheIdentityAtTheAdvertisedAddressWithConfiguredParameters()
    {
        var id = NodeId.Random(new Random(1));
        using var provider = Build(new() { ["DynamoKad:Kademlia:K"] = "8", ["DynamoKad:Kademlia:RefreshInterval"] = "00:30:00" }, id);

        var node = provider.GetRequiredService<KademliaNode>();

        Assert.Equal(new Contact(id, "http://10.0.0.5:7000"), node.Self);
        Assert.Equal(8, node.Options.K);
        Assert.Equal(8, node.RoutingTable.K);
        Assert.Equal(TimeSpan.FromMinutes(30), node.Options.RefreshInterval);
        Assert.IsType<DynamoKad.Transport.GrpcKademliaNetwork>(provider.GetRequiredService<IKademliaNetwork>());
        Assert.Contains(provider.GetServices<IHostedService>(), s => s is KademliaMaintenanceService);
    }

    [Fact]
    public void AnImpossibleSettingFailsOptionsValidationNamingTheSetting()
    {
        using var provider = Build(new() { ["DynamoKad:Kademlia:Alpha"] = "0" }, NodeId.Zero);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KademliaOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.StartsWith("DynamoKad:Kademlia:Alpha must be between 1 and K", StringComparison.Ordinal));
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, NodeId id)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddSingleton(new NodeIdentity(id, "n0"));
        services.Configure<NodeOptions>(o => o.AdvertisedAddress = "http://10.0.0.5:7000");
        services.AddDynamoKadKademlia();
        return services.BuildServiceProvider();
    }
}
