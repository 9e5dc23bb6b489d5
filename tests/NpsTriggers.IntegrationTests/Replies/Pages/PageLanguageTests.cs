using System.Net;
using System.Text.RegularExpressions;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Ingest.Replies.Pages;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Replies.Pages;

/// <summary>
/// Issue 20: every page a recipient can reach over HTTP — survey, thanks, unsubscribe, a mixed-up link, closed — in the
/// language of their invitation's locale, with its <c>lang</c> and <c>dir</c> and no English; pages without an invitation
/// (a cut link, a path that names no page, the rate limit) in the browser's <c>Accept-Language</c>.
/// </summary>
public sealed partial class PageLanguageTests
{
    private const string Yaml = """
        version: 1
        surveys:
          delivery:
            subject: 'How was order {{ data.orderId }}?'
            question: How likely are you to recommend Acme to a friend or colleague?
            locales:
              zh-Hans: { subject: '订单 {{ data.orderId }} 怎么样？', question: 您向朋友或同事推荐 Acme 的可能性有多大？, why: 您给出这个评分的主要原因是什么？ }
              zh-Hant: { subject: '訂單 {{ data.orderId }} 如何？', question: 您向朋友或同事推薦 Acme 的可能性有多大？, why: 您給出這個分數的主要原因是什麼？ }
              fil: { subject: 'Kumusta ang order {{ data.orderId }}?', question: Gaano kayo kalamang na irekomenda ang Acme sa isang kaibigan o katrabaho?, why: Ano po ang pangunahing dahilan ng inyong marka? }
              ar: { subject: 'كيف كان طلبك {{ data.orderId }}؟', question: ما مدى احتمال أن توصي بـ Acme لصديق أو زميل؟, why: ما السبب الرئيسي لتقييمك؟ }
              ja: { subject: 'ご注文 {{ data.orderId }} はいかがでしたか？', question: Acme を友人や同僚に薦める可能性はどのくらいありますか？, why: そのスコアを付けた一番の理由は何ですか？ }
        rules:
          - { name: delivered, on: order.delivered, survey: delivery, delay: 1d, expiry: 30d, keep: [orderId], reminders: { count: 0 } }
        """;

    /// <summary>Recipient locales as shops send them, and the language each page must speak.</summary>
    private static readonly (string Locale, string Language, string Direction, string Send)[] Recipients =
    [
        ("zh-CN", "zh-Hans", "ltr", "提交"),
        ("zh-TW", "zh-Hant", "ltr", "送出"),
        ("tl", "fil", "ltr", "Ipadala"),
        ("ar-EG", "ar", "rtl", "إرسال"),
        ("ja-JP", "ja", "ltr", "送信"),
    ];

    private static int _client;

    /// <summary>A browser's request, each from its own address unless told, so the customer rate limit bites only where meant.</summary>
    private static async Task<(HttpStatusCode Status, string Html, string? RetryAfter)> BrowseAsync(HttpClient http, HttpMethod method, Uri uri, string acceptLanguage = "en-US,en;q=0.9",
        HttpContent? form = null, string? client = null)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = form };
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        request.Headers.AcceptLanguage.ParseAdd(acceptLanguage);
        request.Headers.Add("X-Forwarded-For", client ?? $"198.51.100.{Interlocked.Increment(ref _client) % 250}");
        using var response = await http.SendAsync(request);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html", uri.ToString());
        response.Headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer");
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.RetryAfter?.ToString());
    }

    [Fact]
    public async Task Pages_ForInvitationsInFiveLanguages_AreEachInTheRecipientsLanguageWithNoEnglish()
    {
        var rules = new RulesFile(Yaml);
        using var __ = rules;
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(("Branding:Name", "Acme")));
        foreach (var (locale, _, _, _) in Recipients)
            await service.PublishAsync(BusinessEvents.Binary($"lang-{locale}", "order.delivered",
                new { recipient = new { customerId = $"c-{locale}", email = $"{locale}@example.com", name = "Noor", locale }, orderId = "L-1" }, ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", Recipients.Length);
        service.Clock.Advance(TimeSpan.FromDays(1));
        var messages = await service.Smtp.WaitForMessagesAsync(Recipients.Length, TimeSpan.FromSeconds(60));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", Recipients.Length);
        var http = service.Host!.Http;

        var scoreLinks = new Dictionary<string, Uri>();
        foreach (var (locale, language, direction, send) in Recipients)
        {
            var message = messages.Single(m => m.To.Mailboxes.Single().Address == $"{locale}@example.com");
            var link = EndToEndTests.ScoreLinks(message, service.Host.BaseAddress)[9];
            scoreLinks[locale] = link;
            var unsubscribe = new Uri(message.Headers[MimeKit.HeaderId.ListUnsubscribe]!.Trim().Trim('<', '>'));
            var t = PageText.For(locale, null);
            t.Language.ShouldBe(language);

            var (status, survey, _) = await BrowseAsync(http, HttpMethod.Get, link);
            status.ShouldBe(HttpStatusCode.OK);
            ShouldSpeak(survey, t, direction, t.Confirm, t.Low, t.High, t.Consent, send, t.Format(t.Recorded, 9));
            VisibleText(survey).ShouldNotContain("How likely are you to recommend Acme");
            ShouldSpeak((await BrowseAsync(http, HttpMethod.Post, link, form: new FormUrlEncodedContent([new("score", "9"), new("comment", "ok")]))).Html,
                t, direction, t.ThanksTitle, t.ThanksBody);
            // The unsubscribe link used as a score link: signed, so it still names the invitation and its language.
            var (mixedStatus, mixedUp, _) = await BrowseAsync(http, HttpMethod.Get, new Uri(service.Host.BaseAddress, "s/" + unsubscribe.Segments[^1]));
            mixedStatus.ShouldBe(HttpStatusCode.BadRequest);
            ShouldSpeak(mixedUp, t, direction, t.InvalidTitle, t.InvalidBody);
            ShouldSpeak((await BrowseAsync(http, HttpMethod.Get, unsubscribe)).Html, t, direction, t.UnsubscribeTitle, t.UnsubscribeButton);
            ShouldSpeak((await BrowseAsync(http, HttpMethod.Post, unsubscribe, form: new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]))).Html,
                t, direction, t.UnsubscribedTitle, t.UnsubscribedBody);
        }
        (await service.ScalarAsync<long>("select count(*) from responses where score = 9")).ShouldBe(Recipients.Length);

        // A cut link names no invitation: the page follows Accept-Language, by quality, along BCP 47.
        var cut = new Uri(scoreLinks["ja-JP"].ToString()[..^6], UriKind.Absolute);
        foreach (var (acceptLanguage, language) in new[] { ("sv;q=1, zh-TW;q=0.8, en;q=0.5", "zh-Hant"), ("tl-PH", "fil"), ("he-IL,he;q=0.9", "he"), ("sv", "en") })
        {
            var (status, html, _) = await BrowseAsync(http, HttpMethod.Get, cut, acceptLanguage);
            status.ShouldBe(HttpStatusCode.BadRequest);
            var t = PageTexts.All[language];
            ShouldSpeak(html, t, t.Direction, t.InvalidTitle, t.InvalidBody);
        }

        // Past the survey's 30 days each link explains that it closed, still in the recipient's language.
        service.Clock.Advance(TimeSpan.FromDays(31));
        foreach (var (locale, language, direction, _) in Recipients)
        {
            var (status, html, _) = await BrowseAsync(http, HttpMethod.Get, scoreLinks[locale]);
            status.ShouldBe(HttpStatusCode.Gone);
            var t = PageTexts.All[language];
            ShouldSpeak(html, t, direction, t.ClosedTitle, t.ClosedBody);
        }
    }

    [Fact]
    public async Task CustomerRouteErrors_ForABrowser_ArePagesInItsLanguage_AndProblemDetailsForEveryoneElse()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?>
        {
            ["Roles"] = "ingest",
            ["RequestRateLimits:Customer:Burst"] = "2",
            ["RequestRateLimits:Customer:PerSecond"] = "0.01",
        });
        var http = service.Host!.Http;
        var ja = PageTexts.All["ja"];
        // A path under /s that names no page.
        var (status, html, _) = await BrowseAsync(http, HttpMethod.Get, new Uri(service.Host.BaseAddress, "s/abc/def"), "ja-JP,ja;q=0.9", client: "203.0.113.1");
        status.ShouldBe(HttpStatusCode.NotFound);
        ShouldSpeak(html, ja, "ltr", ja.InvalidTitle, ja.InvalidBody);
        // Over the customer limit: a page that says to wait, in Arabic, right to left, with Retry-After kept.
        var ar = PageTexts.All["ar"];
        for (var i = 0; i < 2; i++)
            await BrowseAsync(http, HttpMethod.Get, new Uri(service.Host.BaseAddress, "s/not-a-token"), "ar", client: "203.0.113.2");
        (status, html, var retryAfter) = await BrowseAsync(http, HttpMethod.Get, new Uri(service.Host.BaseAddress, "s/not-a-token"), "ar", client: "203.0.113.2");
        status.ShouldBe(HttpStatusCode.TooManyRequests);
        int.Parse(retryAfter!, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        ShouldSpeak(html, ar, "rtl", ar.TooManyTitle, ar.TooManyBody);
        // A client that does not ask for HTML (an API client, a script) still gets problem details.
        using var api = new HttpRequestMessage(HttpMethod.Get, "/s/abc/def");
        api.Headers.Add("X-Forwarded-For", "203.0.113.3");
        using var problem = await http.SendAsync(api);
        problem.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        problem.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    /// <summary>The page declares the language and direction, shows the given texts, and shows nothing of the English catalogue.</summary>
    private static void ShouldSpeak(string html, PageText t, string direction, params string[] texts)
    {
        html.ShouldContain($"<html lang=\"{t.Language}\" dir=\"{direction}\">");
        var visible = VisibleText(html);
        foreach (var text in texts)
            visible.ShouldContain(text);
        if (t.Language == "en")
            return;
        foreach (var fragment in PageTexts.English.All.Values.SelectMany(text => Placeholder().Split(text)).Select(f => f.Trim()).Where(f => f.Length >= 4))
            Regex.IsMatch(visible, $@"(?<!\w){Regex.Escape(fragment)}(?!\w)").ShouldBeFalse($"English '{fragment}' on the {t.Language} page:\n{visible}");
    }

    private static string VisibleText(string html)
    {
        var withoutCode = Regex.Replace(html, "<(script|style)>.*?</\\1>", " ", RegexOptions.Singleline);
        var recorded = Regex.Matches(withoutCode, "data-recorded=\"([^\"]*)\"").Select(m => m.Groups[1].Value);
        return WebUtility.HtmlDecode(Regex.Replace(withoutCode, "<[^>]*>", " ") + " " + string.Join(" ", recorded));
    }

    [GeneratedRegex(@"\{\d+\}")]
    private static partial Regex Placeholder();
}
