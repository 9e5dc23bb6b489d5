using Microsoft.Playwright;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.IntegrationTests.Replies.Pages;

/// <summary>
/// Issue 18, item 1: a score is recorded by a person, not by a fetch. Mail gateways' link scanners fetch every link of
/// a message; in a real Chromium with script off (as most scanners fetch) all eleven links record nothing, while a
/// person's browser records the click's score once, and a later click on another score changes it.
/// </summary>
public sealed class ScoreLinkScannerTests
{
    private static async Task<string> AnswersAsync(Testing.ServiceUnderTest service) => await service.ScalarAsync<string>($"""
        select (select count(*) from responses) || ' responses, score ' || coalesce((select score::text from responses), '-')
            || ', version ' || coalesce((select version::text from responses), '-') || ', ' || (select count(*) from response_events) || ' events, '
            || (select count(*) from follow_up_tasks) || ' follow-ups, invitation ' || (select {InvitationState.EffectiveSql()} from invitations)
        """);

    [Fact]
    public async Task ScoreLinks_AllElevenFetchedWithoutScript_RecordNothing_AClickRecordsOne_AnotherClickChangesIt()
    {
        var (service, rules, links) = await SurveyPageBrowserTests.SentSurveyAsync("en-GB");
        await using var _ = service;
        using var __ = rules;
        var browser = await Browser.GetAsync();

        // The scanner: a real browser, script disabled, fetching every link of the message and the page's resources.
        await using (var scanner = await browser.NewContextAsync(new BrowserNewContextOptions { JavaScriptEnabled = false }))
        {
            var page = await scanner.NewPageAsync();
            for (var score = 0; score <= 10; score++)
            {
                (await page.GotoAsync(links[score].ToString()))!.Status.ShouldBe(200);
                (await page.IsCheckedAsync($"#score-{score}")).ShouldBeTrue();
                (await page.TextContentAsync("#notice"))!.ShouldBe("Your score is selected. Press “Send” to record it.");
            }
        }
        // And the crudest scanner, plain GETs.
        foreach (var link in links)
            (await service.Host!.Http.GetAsync(link)).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        (await AnswersAsync(service)).ShouldBe("0 responses, score -, version -, 0 events, 0 follow-ups, invitation sent");

        // The person: one click on 7 in the email opens the page, which records 7 by itself — still one click.
        await using var person = await browser.NewContextAsync();
        var tab = await person.NewPageAsync();
        await tab.GotoAsync(links[7].ToString());
        await Browser.WaitForAnswerAsync(tab);
        (await tab.TextContentAsync("#notice"))!.ShouldBe("Thank you! You answered 7 out of 10.");
        (await AnswersAsync(service)).ShouldBe("1 responses, score 7, version 1, 1 events, 1 follow-ups, invitation answered");

        // Reloading the page is the same answer again: nothing changes.
        await tab.ReloadAsync();
        await Browser.WaitForAnswerAsync(tab);
        (await AnswersAsync(service)).ShouldBe("1 responses, score 7, version 1, 1 events, 1 follow-ups, invitation answered");

        // A later click on 9 changes the answer.
        await tab.GotoAsync(links[9].ToString());
        await Browser.WaitForAnswerAsync(tab);
        (await tab.TextContentAsync("#notice"))!.ShouldBe("We updated your answer to 9 out of 10.");
        (await AnswersAsync(service)).ShouldBe("1 responses, score 9, version 2, 2 events, 1 follow-ups, invitation answered");
    }

    [Fact]
    public async Task ScoreLink_FramedByAnotherPage_IsRefusedAndRecordsNothing()
    {
        var (service, rules, links) = await SurveyPageBrowserTests.SentSurveyAsync("en-GB");
        await using var _ = service;
        using var __ = rules;
        await using var context = await (await Browser.GetAsync()).NewContextAsync();
        var page = await context.NewPageAsync();
        // SetContent waits for the load event, which waits for the frame.
        await page.SetContentAsync($"<iframe src=\"{links[0]}\"></iframe>");
        var frame = page.Frames.Single(f => f != page.MainFrame);
        (await frame.QuerySelectorAsync("form")).ShouldBeNull();
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(0);
    }

    [Fact]
    public async Task ScoreLink_InABrowserWithoutScript_SendRecordsTheSelectedScore()
    {
        var (service, rules, links) = await SurveyPageBrowserTests.SentSurveyAsync("en-GB");
        await using var _ = service;
        using var __ = rules;
        await using var context = await (await Browser.GetAsync()).NewContextAsync(new BrowserNewContextOptions { JavaScriptEnabled = false });
        var page = await context.NewPageAsync();
        await page.GotoAsync(links[4].ToString());
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(0);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("text=Thank you for your feedback");
        (await service.ScalarAsync<int>("select score from responses")).ShouldBe(4);
    }
}
