using Microsoft.Playwright;

namespace DynamoKad.Tests.EndToEnd;

/// <summary>Debian's chromium, driven by Playwright, against the dashboard of the real Aspire cluster.</summary>
[Collection(AspireClusterCollection.Name)]
[Trait("Category", "Browser")]
public sealed class DashboardBrowserTests(AspireClusterFixture cluster)
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"];

    public static string ScreenshotDirectory =>
        Path.Combine(AppContext.BaseDirectory, "screenshots");

    [Fact]
    public async Task TheDashboardListsEveryNodeWithItsId()
    {
        Assert.True(File.Exists(ChromiumPath), $"Browser tests need Debian's chromium at {ChromiumPath} (apt-get install -y chromium; .ci/run does it).");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 800 } });
        await page.GotoAsync(cluster.DashboardUrl.ToString(), new PageGotoOptions { Timeout = 30_000 });

        var ids = page.GetByTestId("node-id");
        await Assertions.Expect(ids).ToHaveCountAsync(AspireClusterFixture.NodeCount, new LocatorAssertionsToHaveCountOptions { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("summary")).ToContainTextAsync(
            $"{AspireClusterFixture.NodeCount} of {AspireClusterFixture.NodeCount} nodes healthy",
            new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });

        var texts = await ids.AllInnerTextsAsync();
        Assert.All(texts, t => Assert.Matches("^[0-9a-f]{40}$", t.Trim()));
        Assert.Equal(AspireClusterFixture.NodeCount, texts.Distinct().Count());

        Directory.CreateDirectory(ScreenshotDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, "nodes.png"), FullPage = true });
    }
}
