using System.Text.Json;
using Microsoft.Playwright;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Replies.Pages;

/// <summary>
/// Debian's Chromium driven by Playwright (never a downloaded browser, shared/CONVENTIONS.md), started once for
/// the test run, and axe-core (installed by scripts/ensure-deps.sh into .tools/) run inside pages.
/// </summary>
public static class Browser
{
    private static readonly Lazy<Task<IBrowser>> Shared = new(async () =>
    {
        var playwright = await Playwright.CreateAsync();
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    });

    private static readonly Lazy<Task<string>> AxeSource = new(() =>
        File.ReadAllTextAsync(RepoRoot.Combine(".tools", "axe", "node_modules", "axe-core", "axe.min.js")));

    public static Task<IBrowser> GetAsync() => Shared.Value;

    /// <summary>Waits until a score page's script has recorded its answer and shows the recorded notice.</summary>
    public static async Task WaitForAnswerAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.WaitForFunctionAsync("() => { const n = document.getElementById('notice'); return n !== null && n.textContent === n.dataset.recorded; }");
    }

    /// <summary>axe-core's WCAG 2.0/2.1 A and AA rules on the current page: the serious and critical violations, described.</summary>
    public static async Task<List<string>> SeriousViolationsAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        // Evaluated through the DevTools protocol rather than added as a <script>: the pages' CSP admits only their own script.
        await page.EvaluateAsync(await AxeSource.Value);
        var violations = await page.EvaluateAsync<JsonElement>("""
            async () => (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }))
                .violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' ')) }))
            """);
        return [.. violations.EnumerateArray()
            .Where(v => v.GetProperty("impact").GetString() is "serious" or "critical")
            .Select(v => $"{v.GetProperty("id").GetString()} ({v.GetProperty("impact").GetString()}): {v.GetProperty("help").GetString()} at {string.Join(", ", v.GetProperty("targets").EnumerateArray())}")];
    }
}
