using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace NpsTriggers.IntegrationTests.Reports;

/// <summary>The ops dashboard and Hangfire's, behind the ops key, showing the report fixture's figures.</summary>
public sealed partial class DashboardTests
{
    private static HttpRequestMessage Get(string path, bool withKey = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (withKey)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:" + NpsReportTests.Key)));
        return request;
    }

    private static XElement Svg(string html, string kind) =>
        XElement.Parse(SvgPattern().Matches(html).Select(m => m.Value).Single(s => s.StartsWith($"<svg class=\"{kind}", StringComparison.Ordinal)));

    [Fact]
    public async Task Dashboard_RendersTheFiguresAsSvg_AndEscapesComments()
    {
        await using var service = await NpsReportTests.StartWithFixtureAsync();
        service.Clock.Advance(new DateTimeOffset(2026, 11, 12, 12, 0, 0, TimeSpan.Zero) - service.Clock.GetUtcNow());
        await using (var command = service.DataSource.CreateCommand("""
            update responses set comment = '<b>fast</b> & friendly', updated_at = answered_at where score = 10 and channel = 'sms';
            insert into suppressions (channel, address, reason, created_at) values
                ('sms', '+4915100000001', 'replied STOP', now()), ('sms', '+4915100000002', 'replied STOP', now()),
                ('email', 'x@example.com', 'manual: asked by phone', now());
            """))
            await command.ExecuteNonQueryAsync();

        using var response = await service.Host!.Http.SendAsync(Get("/dashboard"));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var html = await response.Content.ReadAsStringAsync();

        var scores = Svg(html, "scores").Descendants("rect")
            .ToDictionary(r => (int)r.Attribute("data-score")!, r => (int)r.Attribute("data-count")!);
        scores.ShouldBe(new Dictionary<int, int> { [0] = 1, [1] = 0, [2] = 0, [3] = 1, [4] = 0, [5] = 0, [6] = 0, [7] = 1, [8] = 0, [9] = 1, [10] = 2 });
        Svg(html, "scores").Descendants("rect").Single(r => (int)r.Attribute("data-score")! == 3).Attribute("class")!.Value.ShouldBe("detractor");

        // The period's figure, as /api/reports/nps gives it since the dashboard's first Monday: 10, 9, 7, 3, 10, 0.
        var headline = HeadlinePattern().Match(html);
        headline.Success.ShouldBeTrue("the dashboard shows the period's NPS");
        headline.Value.ShouldBe("""<p class="headline" data-nps="16.7" data-margin="71.8" data-responses="6" data-promoters="3" data-passives="1" data-detractors="2">""");
        html.ShouldContain("<strong>NPS 16.7</strong> ± 71.8 from 6 answers: 3 promoters, 1 passives, 2 detractors");

        var weeks = Svg(html, "trend").Descendants("circle").Select(c => $"{c.Attribute("data-week")!.Value} {c.Attribute("data-nps")!.Value}±{c.Attribute("data-margin")!.Value} n={c.Attribute("data-responses")!.Value}");
        weeks.ShouldBe(["2026-11-02 25±81.3 n=4", "2026-11-09 0±138.6 n=2"]);

        var funnel = Svg(html, "bars stage").Descendants("rect").Select(r => $"{r.Attribute("data-stage")!.Value}={r.Attribute("data-count")!.Value}");
        // The fixture's rows were written directly, so no intake decision says they were triggered.
        funnel.ShouldBe(["Triggered=0", "Scheduled=10", "Sent=10", "Delivered=6", "Answered=6"]);

        var suppressions = Svg(html, "bars suppression").Descendants("rect").Select(r => $"{r.Attribute("data-suppression")!.Value}={r.Attribute("data-count")!.Value}");
        suppressions.ShouldBe(["replied STOP=2", "manual=1"]);

        html.ShouldContain("<q>&lt;b&gt;fast&lt;/b&gt; &amp; friendly</q>");
        html.ShouldNotContain("<b>fast</b>");
        html.ShouldNotContain("<script");
    }

    [Fact]
    public async Task Dashboards_WithoutTheKey_AskForIt()
    {
        await using var service = await NpsReportTests.StartWithFixtureAsync();
        foreach (var path in new[] { "/dashboard", "/hangfire" })
        {
            using var anonymous = await service.Host!.Http.SendAsync(Get(path, withKey: false));
            anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, path);
            anonymous.Headers.WwwAuthenticate.ToString().ShouldStartWith("Basic", Case.Sensitive, path);
        }
        using var jobs = await service.Host!.Http.SendAsync(Get("/hangfire"));
        jobs.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await jobs.Content.ReadAsStringAsync()).ShouldContain("NpsTriggers jobs");
        using var weeks = await service.Host.Http.SendAsync(Get("/dashboard?weeks=0"));
        weeks.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [GeneratedRegex("<p class=\"headline\"[^>]*>")]
    private static partial Regex HeadlinePattern();

        [GeneratedRegex("<svg .*?</svg>", RegexOptions.Singleline)]
    private static partial Regex SvgPattern();
}
