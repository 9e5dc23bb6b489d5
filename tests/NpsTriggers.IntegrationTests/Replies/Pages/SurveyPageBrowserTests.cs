using Microsoft.Playwright;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Replies.Pages;

/// <summary>The survey as customers meet it, in a real headless Chromium: by keyboard alone, by touch on a phone, and checked by axe-core.</summary>
public sealed class SurveyPageBrowserTests
{
    private const string Yaml = """
        version: 1
        surveys:
          delivery:
            subject: 'How was order {{ data.orderId }}?'
            question: How likely are you to recommend Acme to a friend or colleague?
            low: Not at all likely
            high: Extremely likely
            why: What is the main reason for your score?
            locales:
              ar:
                subject: 'كيف كان طلبك {{ data.orderId }}؟'
                question: ما مدى احتمال أن توصي بـ Acme لصديق أو زميل؟
                low: غير محتمل على الإطلاق
                high: محتمل جدًا
                why: ما السبب الرئيسي لتقييمك؟
              zh-Hans:
                subject: '订单 {{ data.orderId }} 怎么样？'
                question: 您向朋友或同事推荐 Acme 的可能性有多大？
                why: 您给出这个评分的主要原因是什么？
        rules:
          - { name: delivered, on: order.delivered, survey: delivery, delay: 1d, expiry: 30d, keep: [orderId], reminders: { count: 0 } }
        """;

    internal static async Task<(ServiceUnderTest Service, RulesFile Rules, List<Uri> Links)> SentSurveyAsync(string locale)
    {
        var (service, rules, links) = await SentSurveysAsync(locale);
        return (service, rules, links[0]);
    }

    /// <summary>One service, one survey sent to a recipient in each locale; each recipient's score links, in the order given.</summary>
    private static async Task<(ServiceUnderTest Service, RulesFile Rules, List<List<Uri>> Links)> SentSurveysAsync(params string[] locales)
    {
        var rules = new RulesFile(Yaml);
        var service = await ServiceUnderTest.StartAsync(rules.Settings(("Branding:Name", "Acme")));
        for (var i = 0; i < locales.Length; i++)
            await service.PublishAsync(BusinessEvents.Binary($"page-{locales[i]}", "order.delivered",
                new { recipient = new { customerId = $"c-page-{i}", email = $"page{i}@example.com", name = "Noor", locale = locales[i] }, orderId = "P-1" }, ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", locales.Length);
        service.Clock.Advance(TimeSpan.FromDays(1));
        var messages = await service.Smtp.WaitForMessagesAsync(locales.Length, TimeSpan.FromSeconds(30));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", locales.Length);
        return (service, rules, [.. Enumerable.Range(0, locales.Length).Select(i =>
            EndToEndTests.ScoreLinks(messages.Single(m => m.To.Mailboxes.Single().Address == $"page{i}@example.com"), service.Host!.BaseAddress))]);
    }

    private static async Task<string> FocusedIdAsync(IPage page) => await page.EvaluateAsync<string>("() => document.activeElement.id");

    [Fact]
    public async Task Survey_AnsweredByKeyboardAlone_RecordsScoreCommentAndConsent()
    {
        var (service, rules, links) = await SentSurveyAsync("en-GB");
        await using var _ = service;
        using var __ = rules;
        await using var context = await (await Browser.GetAsync()).NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(links[7].ToString());
        (await page.IsCheckedAsync("#score-7")).ShouldBeTrue();
        await Browser.WaitForAnswerAsync(page);
        (await page.TextContentAsync("[role=status]"))!.ShouldContain("7 out of 10");

        await page.Keyboard.PressAsync("Tab");
        (await FocusedIdAsync(page)).ShouldBe("score-7"); // Tab enters the radio group at the selected score
        await page.Keyboard.PressAsync("ArrowRight");
        (await FocusedIdAsync(page)).ShouldBe("score-8");
        await page.Keyboard.PressAsync("Tab");
        (await FocusedIdAsync(page)).ShouldBe("comment");
        await page.Keyboard.TypeAsync("Quick delivery, friendly courier");
        await page.Keyboard.PressAsync("Tab");
        (await FocusedIdAsync(page)).ShouldBe("contact");
        await page.Keyboard.PressAsync("Space");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("text=Thank you for your feedback");

        (await service.ScalarAsync<int>("select score from responses")).ShouldBe(8);
        (await service.ScalarAsync<string>("select comment from responses")).ShouldBe("Quick delivery, friendly courier");
        (await service.ScalarAsync<bool>("select contact_consent from responses")).ShouldBeTrue();
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Survey_AnsweredByTouchOnAPhone_ChangesTheClickedScoreAndPassesAxe()
    {
        var (service, rules, links) = await SentSurveyAsync("en-GB");
        await using var _ = service;
        using var __ = rules;
        await using var context = await (await Browser.GetAsync()).NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 3,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(links[9].ToString());
        await Browser.WaitForAnswerAsync(page);
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
        // Every score is a target of at least 44 CSS pixels in height, and the eleven fit the phone's width.
        var box = (await page.Locator("label[for=score-10]").BoundingBoxAsync())!;
        box.Height.ShouldBeGreaterThanOrEqualTo(44);
        (box.X + box.Width).ShouldBeLessThanOrEqualTo(390);

        await page.Locator("label[for=score-4]").TapAsync();
        await page.Locator("#comment").TapAsync();
        await page.Keyboard.TypeAsync("Box arrived crushed");
        await page.Locator("button[type=submit]").TapAsync();
        await page.WaitForSelectorAsync("text=Thank you for your feedback");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        (await service.ScalarAsync<string>("select score || '|' || comment || '|' || contact_consent from responses")).ShouldBe("4|Box arrived crushed|false");
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(1);
    }

    [Fact]
    public async Task Survey_InArabic_IsRightToLeftInTheRecipientsLanguage_AndTheClosedPageExplains()
    {
        var (service, rules, links) = await SentSurveyAsync("ar");
        await using var _ = service;
        using var __ = rules;
        await using var context = await (await Browser.GetAsync()).NewContextAsync(new BrowserNewContextOptions { Locale = "en-US" });
        var page = await context.NewPageAsync();
        await page.GotoAsync(links[10].ToString());
        await Browser.WaitForAnswerAsync(page);
        (await page.GetAttributeAsync("html", "lang")).ShouldBe("ar");
        (await page.GetAttributeAsync("html", "dir")).ShouldBe("rtl");
        (await page.TextContentAsync("legend"))!.ShouldBe("ما مدى احتمال أن توصي بـ Acme لصديق أو زميل؟");
        (await page.TextContentAsync("button[type=submit]"))!.ShouldBe("إرسال");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();

        // After the survey's 30 days the link explains that it closed, still in Arabic, and records nothing.
        service.Clock.Advance(TimeSpan.FromDays(31));
        var closed = await page.GotoAsync(links[2].ToString());
        closed!.Status.ShouldBe(410);
        (await page.TextContentAsync("h2"))!.ShouldBe("انتهى هذا الاستطلاع");
        (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
        (await service.ScalarAsync<int>("select score from responses")).ShouldBe(10);
    }

    [Fact]
    public async Task Survey_WithoutALocale_FollowsAcceptLanguage_AndRefusesAMissingScoreWithAClearMessage()
    {
        var (service, rules, links) = await SentSurveyAsync("");
        await using var _ = service;
        using var __ = rules;
        await using var context = await (await Browser.GetAsync()).NewContextAsync(new BrowserNewContextOptions { Locale = "de-DE" });
        var page = await context.NewPageAsync();
        await page.GotoAsync(links[6].ToString());
        await Browser.WaitForAnswerAsync(page);
        (await page.GetAttributeAsync("html", "lang")).ShouldBe("de");
        (await page.TextContentAsync("button[type=submit]"))!.ShouldBe("Senden");
        // The survey has no German texts: its English question is marked as English for screen readers.
        (await page.GetAttributeAsync("legend", "lang")).ShouldBe("en");

        // A forged post with a score out of range gets the form back with the reason, and changes nothing.
        var response = await service.Host!.Http.PostAsync(links[6], new FormUrlEncodedContent([new("score", "11"), new("comment", "x")]));
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("Please choose a score from 0 to 10.");
        (await service.ScalarAsync<int>("select score from responses")).ShouldBe(6);
    }

    [Fact]
    public async Task Survey_OnePagePerScriptDirection_IsScreenshottedComputesItsDirectionAndPassesAxe()
    {
        var (service, rules, links) = await SentSurveysAsync("zh-CN", "ar-EG");
        await using var _ = service;
        using var __ = rules;
        await using var context = await (await Browser.GetAsync()).NewContextAsync(new BrowserNewContextOptions
        {
            Locale = "en-US", ViewportSize = new ViewportSize { Width = 390, Height = 844 }, DeviceScaleFactor = 2,
        });
        var page = await context.NewPageAsync();
        foreach (var (scoreLinks, language, direction, send) in new[] { (links[0], "zh-Hans", "ltr", "提交"), (links[1], "ar", "rtl", "إرسال") })
        {
            await page.GotoAsync(scoreLinks[8].ToString());
            await Browser.WaitForAnswerAsync(page);
            (await page.GetAttributeAsync("html", "lang")).ShouldBe(language);
            (await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('main')).direction")).ShouldBe(direction);
            (await page.TextContentAsync("button[type=submit]"))!.ShouldBe(send);
            (await Browser.SeriousViolationsAsync(page)).ShouldBeEmpty();
            // Kept under artifacts/ (git-ignored) for a person to look at: are the glyphs there, does the layout mirror?
            var file = RepoRoot.Combine("artifacts", "screenshots", $"survey-{direction}-{language}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.Delete(file);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
            var png = await File.ReadAllBytesAsync(file);
            png.Take(8).ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, $"{file} is not a PNG");
            png.Length.ShouldBeGreaterThan(10_000, $"{file} is too small to hold the page");
            // The layout mirrors: on the first row of scores 0 starts at the right in Arabic, at the left in Chinese.
            var zero = (await page.Locator("label[for=score-0]").BoundingBoxAsync())!;
            var five = (await page.Locator("label[for=score-5]").BoundingBoxAsync())!;
            (zero.X > five.X).ShouldBe(direction == "rtl", language);
        }
    }
}
