using Microsoft.Playwright;

namespace DynamoKad.Tests.Dashboard;

/// <summary>Debian's chromium through Playwright, one browser per test, screenshots into the test output.</summary>
internal sealed class DashboardBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const float Timeout = 30_000;

    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private readonly Uri _dashboard;

    private DashboardBrowser(IPlaywright playwright, IBrowser browser, IPage page, Uri dashboard)
    {
        _dashboard = dashboard;
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    public static string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public IPage Page { get; }

    public static async Task<DashboardBrowser> OpenAsync(Uri dashboard, string path)
    {
        Assert.True(File.Exists(ChromiumPath), $"Browser tests need Debian's chromium at {ChromiumPath} (apt-get install -y chromium; .ci/run does it).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumArgs });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        page.SetDefaultTimeout(Timeout);
        var opened = new DashboardBrowser(playwright, browser, page, dashboard);
        await opened.GotoAsync(path);
        return opened;
    }

    /// <summary>Opens a dashboard path and waits until its circuit is interactive (prerendered markup ignores input).</summary>
    public async Task GotoAsync(string path)
    {
        await Page.GotoAsync(new Uri(_dashboard, path).ToString(), new PageGotoOptions { Timeout = Timeout });
        await Assertions.Expect(Page.Locator("[data-testid=app]")).ToHaveAttributeAsync("data-interactive", "true", new LocatorAssertionsToHaveAttributeOptions { Timeout = Timeout });
    }

    /// <summary>Saves the page as <paramref name="name"/>.png in the test output's screenshots folder.</summary>
    public async Task ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
