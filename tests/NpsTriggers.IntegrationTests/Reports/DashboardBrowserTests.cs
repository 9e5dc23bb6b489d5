using Microsoft.Playwright;
using NpsTriggers.IntegrationTests.Replies.Pages;

namespace NpsTriggers.IntegrationTests.Reports;

/// <summary>The ops dashboard in a real browser: it prompts for the key, renders its charts at a readable size, and passes axe-core.</summary>
public sealed class DashboardBrowserTests
{
    [Fact]
    public async Task Dashboard_InChromium_RendersReadableChartsAndPassesAxe()
    {
        await using var service = await NpsReportTests.StartWithFixtureAsync();
        service.Clock.Advance(new DateTimeOffset(2026, 11, 12, 12, 0, 0, TimeSpan.Zero) - service.Clock.GetUtcNow());
        var browser = await Browser.GetAsync();

        // Without credentials the browser meets the Basic challenge and has nothing to answer it with; with the key as password, the page.
        await using (var anonymous = await browser.NewContextAsync())
        {
            var refused = await Should.ThrowAsync<PlaywrightException>(async () =>
                await (await anonymous.NewPageAsync()).GotoAsync(new Uri(service.Host!.BaseAddress, "/dashboard").ToString()));
            refused.Message.ShouldContain("ERR_INVALID_AUTH_CREDENTIALS");
        }
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            HttpCredentials = new HttpCredentials { Username = "ops", Password = NpsReportTests.Key },
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        var page = await context.NewPageAsync();
        (await page.GotoAsync(new Uri(service.Host!.BaseAddress, "/dashboard").ToString()))!.Status.ShouldBe(200);

        // Each chart lays out at a readable size, and its marks are where the figures put them.
        foreach (var chart in new[] { "svg.trend", "svg.scores", "svg.bars.stage" })
        {
            var box = (await page.Locator(chart).BoundingBoxAsync())!;
            box.Width.ShouldBeGreaterThan(500, chart);
            box.Height.ShouldBeGreaterThan(100, chart);
        }
        var tallest = (await page.Locator("rect[data-score='10']").BoundingBoxAsync())!.Height;
        var single = (await page.Locator("rect[data-score='9']").BoundingBoxAsync())!.Height;
        tallest.ShouldBe(2 * single, 0.5); // two answers of 10, one of 9
        (await page.Locator("circle.point").CountAsync()).ShouldBe(2);
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        var screenshot = await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true });
        screenshot.Length.ShouldBeGreaterThan(10_000);
    }
}
