using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using NpsTriggers.IntegrationTests.Loop;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Reports;

/// <summary>
/// Answers by every channel — the email's score link, the survey page's form, an SMS reply, the response API with and
/// without an Idempotency-Key — and every place that adds them up: <c>/api/nps</c>, <c>/api/reports/nps</c>, the
/// dashboard, <c>nps_responses_total</c> and the <c>nps.response.recorded</c> events on Kafka. All must agree.
/// </summary>
public sealed partial class CrossChannelFiguresTests
{
    private const string Yaml = """
        version: 1
        throttle: { global: 1h, survey: 1h }
        surveys:
          delivery:
            subject: How was your order?
            question: How likely are you to recommend Acme?
            why: What is the main reason for your score?
        rules:
          - { name: delivered-email, on: order.delivered, survey: delivery, channel: email, reminders: { count: 0 } }
          - { name: closed-sms, on: ticket.closed, survey: delivery, channel: sms, reminders: { count: 0 } }
        """;

    /// <summary>The final categories of a list of scores, counted here rather than by the code under test.</summary>
    private sealed record Figures(int Promoters, int Passives, int Detractors, double? Nps, double? Margin)
    {
        public int Responses => Promoters + Passives + Detractors;

        public static Figures Of(IReadOnlyList<int> scores)
        {
            int p = scores.Count(s => s >= 9), d = scores.Count(s => s <= 6), n = scores.Count;
            double share = p / (double)n, detract = d / (double)n;
            var margin = 1.96 * 100 * Math.Sqrt((share + detract - (share - detract) * (share - detract)) / n);
            return new Figures(p, n - p - d, d, Math.Round(100.0 * (p - d) / n, 1), n < 2 ? null : Math.Round(margin, 1));
        }
    }

    private static object Ticket(string id, string phone) => new { recipient = new { customerId = "c-" + id, phone, name = "Bo" }, ticketId = id };

    [Fact]
    public async Task AnswersByEveryChannel_CountAlikeInReportDashboardMetricAndEvents()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile(Yaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings([
            .. twilio.Settings,
            ("Api:Keys:0", TestKeys.Integration), .. OutboxPublisherTests.FastOutbox.Select(s => (s.Key, s.Value))]));
        service.Kafka.CreateTopic(ResponseEvents.Topic, 3);
        var host = service.Host!;

        // Four surveys by email (A, B: score links; C: the page's form; E: the API), two by SMS (D: a reply; F: the API).
        string[] emails = ["A", "B", "C", "E"];
        await service.PublishAsync([
            .. emails.Select(o => BusinessEvents.Binary("evt-" + o, "order.delivered", BusinessEvents.OrderDelivered(o, email: $"person-{o}@example.com"), ServiceUnderTest.Start)),
            BusinessEvents.Binary("evt-D", "ticket.closed", Ticket("D", "+4915112340001"), ServiceUnderTest.Start, "/support/tickets"),
            BusinessEvents.Binary("evt-F", "ticket.closed", Ticket("F", "+4915112340002"), ServiceUnderTest.Start, "/support/tickets")]);
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 6, TimeSpan.FromSeconds(60));
        var mail = await service.Smtp.WaitForMessagesAsync(4, TimeSpan.FromSeconds(30));
        var links = emails.ToDictionary(o => o, o => EndToEndTests.ScoreLinks(
            mail.Single(m => m.To.ToString().Contains($"person-{o}@", StringComparison.Ordinal)), host.BaseAddress));
        twilio.Messages.Select(m => m.To).Order().ShouldBe(["+4915112340001", "+4915112340002"]);

        // The email's score link as a browser follows it (the page, then its answer): A answers 3 and changes to 10; B 9.
        (await ScoreClicks.ClickAsync(host.Http, links["A"][3])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await ScoreClicks.ClickAsync(host.Http, links["A"][10])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await ScoreClicks.ClickAsync(host.Http, links["B"][9])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        // The page's form without script: C picks 7 and says why.
        (await host.Http.GetAsync(links["C"][8])).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await host.Http.PostAsync(links["C"][8], new FormUrlEncodedContent([new("score", "7"), new("comment", "Box was late")])))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        // A signed SMS reply: D texts 2.
        (await twilio.SendInboundAsync(new Uri(host.BaseAddress, "/twilio/inbound"), "+4915112340001", "2")).StatusCode.ShouldBe(HttpStatusCode.OK);
        // The response API: E by phone with an Idempotency-Key (its own transaction), F at a kiosk without (the reply writer).
        using (var api = new HttpRequestMessage(HttpMethod.Post, "/api/responses"))
        {
            api.Headers.Add("X-Api-Key", TestKeys.Integration);
            api.Headers.Add("Idempotency-Key", "call-E");
            api.Content = JsonContent.Create(new { token = links["E"][0].Segments[^1], score = 9, channel = "phone" });
            (await host.Http.SendAsync(api)).StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        var f = Guid.Parse(await service.ScalarAsync<string>("select id::text from invitations where event_id = 'evt-F'"));
        using (var api = new HttpRequestMessage(HttpMethod.Post, "/api/responses"))
        {
            api.Headers.Add("X-Api-Key", TestKeys.Integration);
            api.Content = JsonContent.Create(new { invitationId = f, score = 6, channel = "kiosk" });
            (await host.Http.SendAsync(api)).StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        // Each channel matters: without the links 2 promoters go, without the form the passive, without SMS or API a detractor.
        var expected = Figures.Of([10, 9, 7, 2, 9, 6]);
        expected.ShouldBe(new Figures(3, 1, 2, 16.7, 71.8));

        // /api/nps and the report, by channel: every channel reached them.
        using var nps = JsonDocument.Parse(await host.Ops.GetStringAsync("/api/nps"));
        Read(nps.RootElement, "marginOfError").ShouldBe(expected);
        using var report = JsonDocument.Parse(await host.Ops.GetStringAsync("/api/reports/nps?by=channel"));
        var byChannel = report.RootElement.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("group").GetString()!, r => r);
        byChannel.Keys.Order().ShouldBe(["email", "kiosk", "phone", "sms"]);
        byChannel.Values.Sum(r => r.GetProperty("responses").GetInt32()).ShouldBe(expected.Responses);
        byChannel["email"].GetProperty("responses").GetInt32().ShouldBe(3);

        // The dashboard: its period figure and its one week's point.
        using var dashboard = new HttpRequestMessage(HttpMethod.Get, "/dashboard");
        dashboard.Headers.Add("X-Api-Key", TestKeys.Admin);
        var html = await (await host.Http.SendAsync(dashboard)).Content.ReadAsStringAsync();
        var headline = Attributes(HeadlinePattern().Match(html).Value);
        FromAttributes(headline).ShouldBe(expected);
        var week = Attributes(PointPattern().Matches(html).Single().Value);
        FromAttributes(week).ShouldBe(expected);

        // The metric: per category, first answers plus changes into it minus changes out of it.
        var metric = Series(await host.Http.GetStringAsync("/metrics"), "nps_responses_total");
        double Net(string category) => metric.GetValueOrDefault((category, "recorded")) + metric.GetValueOrDefault((category, "changed"))
                                       - metric.GetValueOrDefault((category, "replaced"));
        new Figures((int)Net("promoter"), (int)Net("passive"), (int)Net("detractor"), expected.Nps, expected.Margin).ShouldBe(expected);
        metric.Where(s => s.Key.Change == "recorded").Sum(s => s.Value).ShouldBe(expected.Responses);
        // docs/ARCHITECTURE.md's metrics table names the labels and every change value the scrape has.
        var documented = File.ReadAllLines(RepoRoot.Combine("docs", "ARCHITECTURE.md")).Single(l => l.StartsWith("| `nps_responses_total{", StringComparison.Ordinal));
        documented.ShouldStartWith("| `nps_responses_total{category,change}`");
        metric.Keys.Select(k => k.Change).Distinct().ShouldAllBe(change => documented.Contains($"`{change}`", StringComparison.Ordinal));
        // A's 3 → 10 is the one change.
        metric.GetValueOrDefault(("promoter", "changed")).ShouldBe(1);
        metric.GetValueOrDefault(("detractor", "replaced")).ShouldBe(1);

        // The events: one per change (A twice, C's score and its comment), the latest of each response being the figures.
        var changes = await service.ScalarAsync<long>("select count(*) from response_events");
        changes.ShouldBe(8);
        await service.WaitForCountAsync(ResponseEvents.PublishedSql, changes, TimeSpan.FromSeconds(60));
        var events = ResponseEvents.ReadAll(service.Kafka.BootstrapServers, atLeast: (int)changes, quiet: TimeSpan.FromSeconds(2));
        events.Count.ShouldBe((int)changes);
        var latest = events.Select(e => e.Event.GetProperty("data"))
            .GroupBy(d => d.GetProperty("invitationId").GetString())
            .Select(g => g.MaxBy(d => d.GetProperty("version").GetInt32()))
            .ToList();
        latest.Select(d => d.GetProperty("channel").GetString()).Distinct().Order().ShouldBe(["email", "kiosk", "phone", "sms"]);
        latest.ShouldAllBe(d => d.GetProperty("category").GetString() == NpsTriggers.Core.Nps.NpsSummary.CategoryOf(d.GetProperty("score").GetInt32()));
        Figures.Of([.. latest.Select(d => d.GetProperty("score").GetInt32())]).ShouldBe(expected);
    }

    private static Figures Read(JsonElement figures, string margin) => new(
        figures.GetProperty("promoters").GetInt32(), figures.GetProperty("passives").GetInt32(), figures.GetProperty("detractors").GetInt32(),
        figures.GetProperty("nps").GetDouble(), figures.GetProperty(margin) is { ValueKind: JsonValueKind.Number } m ? m.GetDouble() : null);

    private static Dictionary<string, string> Attributes(string element) =>
        DataAttribute().Matches(element).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    private static Figures FromAttributes(Dictionary<string, string> a)
    {
        var figures = new Figures(int.Parse(a["promoters"], CultureInfo.InvariantCulture), int.Parse(a["passives"], CultureInfo.InvariantCulture),
            int.Parse(a["detractors"], CultureInfo.InvariantCulture), double.Parse(a["nps"], CultureInfo.InvariantCulture),
            double.Parse(a["margin"], CultureInfo.InvariantCulture));
        int.Parse(a["responses"], CultureInfo.InvariantCulture).ShouldBe(figures.Responses);
        return figures;
    }

    /// <summary>Every series of a counter in Prometheus text, by its category and change labels.</summary>
    private static Dictionary<(string Category, string Change), double> Series(string metrics, string name) =>
        metrics.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal)).ToDictionary(
            l => (Label(l, "category"), Label(l, "change")),
            l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    private static string Label(string line, string label) => Regex.Match(line, $"{label}=\"([^\"]*)\"").Groups[1].Value;

    [GeneratedRegex("<p class=\"headline\"[^>]*>")]
    private static partial Regex HeadlinePattern();

    [GeneratedRegex("<circle class=\"point\"[^>]*>")]
    private static partial Regex PointPattern();

    [GeneratedRegex("data-([a-z]+)=\"([^\"]*)\"")]
    private static partial Regex DataAttribute();
}
