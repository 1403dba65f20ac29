using System.Text;
using Aspire.Hosting.ApplicationModel;
using DynamoKad.Protos.V1;
using DynamoKad.Tests.EndToEnd;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace DynamoKad.Tests.Dashboard;

/// <summary>
/// The dashboard's main views against the real 3-node Aspire cluster, in Debian's chromium. Faults injected here
/// are healed in a finally, so the shared cluster is whole for the next test of the collection.
/// </summary>
[Collection(AspireClusterCollection.Name)]
[Trait("Category", "Browser")]
public sealed class DashboardPageTests(AspireClusterFixture cluster)
{
    private static readonly LocatorAssertionsToHaveCountOptions CountWithin = new() { Timeout = DashboardBrowser.Timeout };
    private static readonly LocatorAssertionsToHaveAttributeOptions AttributeWithin = new() { Timeout = DashboardBrowser.Timeout };
    private static readonly LocatorAssertionsToHaveTextOptions TextWithin = new() { Timeout = DashboardBrowser.Timeout };

    [Fact]
    public async Task TheRingShowsEveryNodeUp()
    {
        await using var browser = await DashboardBrowser.OpenAsync(cluster.DashboardUrl, "/");
        var page = browser.Page;

        await Assertions.Expect(page.Locator("[data-testid=ring-node]")).ToHaveCountAsync(AspireClusterFixture.NodeCount, CountWithin);
        await Assertions.Expect(page.Locator("[data-testid=ring-node][data-state=up]")).ToHaveCountAsync(AspireClusterFixture.NodeCount, CountWithin);
        foreach (var name in AspireClusterFixture.NodeNames)
        {
            await Assertions.Expect(page.Locator($"[data-testid=ring-node][data-node={name}]")).ToHaveCountAsync(1, CountWithin);
        }

        await browser.ScreenshotAsync("ring");
    }

    [Fact]
    public async Task AValuePutFromThePageIsReadBack()
    {
        var key = "browser-" + Guid.NewGuid().ToString("N")[..8];
        await using var browser = await DashboardBrowser.OpenAsync(cluster.DashboardUrl, "/keys");
        var page = browser.Page;
        await Assertions.Expect(page.Locator("[data-testid=ring-node][data-state=up]")).ToHaveCountAsync(AspireClusterFixture.NodeCount, CountWithin);

        await page.Locator("[data-testid=key-input] input").FillAsync(key);
        await page.Locator("[data-testid=value-input] input").FillAsync("hello from the page");
        await page.Locator("[data-testid=put]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=last-action]")).ToContainTextAsync("acknowledged by", new LocatorAssertionsToContainTextOptions { Timeout = DashboardBrowser.Timeout });

        // A fresh read from the page, not the one the put did for us.
        await browser.GotoAsync($"/keys?key={key}&node=node2");
        await Assertions.Expect(page.Locator("[data-testid=sibling-value]")).ToHaveTextAsync("hello from the page", TextWithin);
        await Assertions.Expect(page.Locator("[data-testid=ring-key]")).ToHaveCountAsync(1, CountWithin);
        await browser.ScreenshotAsync("keys");
    }

    [Fact]
    public async Task ConcurrentWritesShowTwoSiblings()
    {
        var key = "siblings-" + Guid.NewGuid().ToString("N")[..8];
        // Two blind writes through two coordinators: neither clock descends from the other.
        await PutAsync("node0", key, "written via node0");
        await PutAsync("node1", key, "written via node1");

        await using var browser = await DashboardBrowser.OpenAsync(cluster.DashboardUrl, $"/keys?key={key}");
        var page = browser.Page;

        await Assertions.Expect(page.Locator("[data-testid=sibling]")).ToHaveCountAsync(2, CountWithin);
        var values = await page.Locator("[data-testid=sibling-value]").AllInnerTextsAsync();
        Assert.Equal(["written via node0", "written via node1"], values.Order());
        var clocks = await page.Locator("[data-testid=sibling-clock]").AllInnerTextsAsync();
        Assert.NotEqual(clocks[0], clocks[1]);
        await browser.ScreenshotAsync("siblings");

        // Resolving with the read's context leaves one version.
        await page.Locator("[data-testid=keep-sibling]").First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=sibling]")).ToHaveCountAsync(1, CountWithin);
    }

    [Fact]
    public async Task CuttingALinkInTheMatrixShowsBothEndsPartitionedOnTheRing()
    {
        try
        {
            await using var browser = await DashboardBrowser.OpenAsync(cluster.DashboardUrl, "/faults");
            var page = browser.Page;
            var link = page.Locator("[data-link=node0-node1]");
            await Assertions.Expect(link).ToHaveAttributeAsync("data-state", "open", AttributeWithin);

            await link.ClickAsync();

            await Assertions.Expect(link).ToHaveAttributeAsync("data-state", "cut", AttributeWithin);
            await Assertions.Expect(page.Locator("[data-testid=ring-node][data-node=node0]")).ToHaveAttributeAsync("data-state", "partitioned", AttributeWithin);
            await Assertions.Expect(page.Locator("[data-testid=ring-node][data-node=node1]")).ToHaveAttributeAsync("data-state", "partitioned", AttributeWithin);
            await Assertions.Expect(page.Locator("[data-testid=ring-node][data-node=node2]")).Not.ToHaveAttributeAsync("data-state", "partitioned", AttributeWithin);
            await browser.ScreenshotAsync("faults");

            await page.Locator("[data-testid=heal-all]").ClickAsync();
            await Assertions.Expect(link).ToHaveAttributeAsync("data-state", "open", AttributeWithin);
            await Assertions.Expect(page.Locator("[data-testid=ring-node][data-state=partitioned]")).ToHaveCountAsync(0, CountWithin);
        }
        finally
        {
            await HealAllAsync();
        }
    }

    [Fact]
    public async Task NodeDetailAndActivityRenderFromTheLiveCluster()
    {
        await using var browser = await DashboardBrowser.OpenAsync(cluster.DashboardUrl, "/nodes/node0");
        var page = browser.Page;
        await Assertions.Expect(page.Locator("[data-testid=node-state]")).ToHaveTextAsync("up", TextWithin);
        await Assertions.Expect(page.Locator("[data-testid=bucket]").First).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = DashboardBrowser.Timeout });
        await browser.ScreenshotAsync("node");

        await browser.GotoAsync("/activity");
        await Assertions.Expect(page.Locator("[data-testid=chart]")).ToHaveCountAsync(3, CountWithin);
        // Writes while the page watches: the put rate over the window rises above zero (a wait for a value, not for a time).
        var puts = page.Locator("[data-testid=series][data-name=put]");
        for (var i = 0; i < 10; i++)
        {
            await PutAsync("node0", $"activity-{i}-" + Guid.NewGuid().ToString("N")[..8], "x");
        }

        await Assertions.Expect(puts).Not.ToHaveAttributeAsync("data-max", "0", AttributeWithin);
        await browser.ScreenshotAsync("activity");
    }

    private async Task PutAsync(string node, string key, string value)
    {
        var client = new KeyValue.KeyValueClient(cluster.Channel(node));
        await client.PutAsync(
            new PutRequest { Key = ByteString.CopyFrom(key, Encoding.UTF8), Value = ByteString.CopyFrom(value, Encoding.UTF8) },
            await SecretHeadersAsync(),
            deadline: DateTime.UtcNow.AddSeconds(20));
    }

    private async Task HealAllAsync()
    {
        var headers = await SecretHeadersAsync();
        foreach (var node in AspireClusterFixture.NodeNames)
        {
            await new Admin.AdminClient(cluster.Channel(node)).SetFaultsAsync(
                new SetFaultsRequest { Faults = new FaultState() },
                headers,
                deadline: DateTime.UtcNow.AddSeconds(10));
        }
    }

    /// <summary>The cluster secret the AppHost hands the nodes (its <c>cluster-secret</c> parameter), when it has one.</summary>
    private async Task<Metadata> SecretHeadersAsync()
    {
        var headers = new Metadata();
        var parameter = cluster.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>()
            .FirstOrDefault(p => p.Name == "cluster-secret");
        if (parameter is not null && await parameter.GetValueAsync(CancellationToken.None) is { Length: > 0 } secret)
        {
            headers.Add("x-dynamokad-secret", secret);
        }

        return headers;
    }
}
