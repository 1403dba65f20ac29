using System.Text.RegularExpressions;
using DynamoKad.Tests.Dashboard;
using Microsoft.Playwright;

namespace DynamoKad.Tests.EndToEnd;

/// <summary>Debian's chromium, driven by Playwright, against the dashboard of the real Aspire cluster.</summary>
[Collection(AspireClusterCollection.Name)]
[Trait("Category", "Browser")]
public sealed partial class DashboardBrowserTests(AspireClusterFixture cluster)
{
    [Fact]
    public async Task TheDashboardListsEveryNodeWithItsId()
    {
        await using var browser = await DashboardBrowser.OpenAsync(cluster.DashboardUrl, "/");
        var page = browser.Page;

        // Retrying assertions: the list is re-rendered every refresh, so no snapshot of it is read on its own.
        var ids = page.GetByTestId("node-id");
        await Assertions.Expect(ids).ToHaveTextAsync(
            Enumerable.Repeat(NodeId(), AspireClusterFixture.NodeCount).ToArray(),
            new LocatorAssertionsToHaveTextOptions { Timeout = DashboardBrowser.Timeout });
        await Assertions.Expect(page.GetByTestId("summary")).ToContainTextAsync(
            $"{AspireClusterFixture.NodeCount} of {AspireClusterFixture.NodeCount} nodes healthy",
            new LocatorAssertionsToContainTextOptions { Timeout = DashboardBrowser.Timeout });

        // Every node has its own id (a timeout here fails the test).
        await page.WaitForFunctionAsync(
            "n => new Set([...document.querySelectorAll('[data-testid=node-id]')].map(e => e.textContent.trim())).size === n",
            AspireClusterFixture.NodeCount,
            new PageWaitForFunctionOptions { Timeout = DashboardBrowser.Timeout });
        await browser.ScreenshotAsync("nodes");
    }

    [GeneratedRegex("^\\s*[0-9a-f]{40}\\s*$")]
    private static partial Regex NodeId();
}
