using System.Net;
using System.Text.Json;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Reports;

public sealed class NpsApiTests
{
    [Fact]
    public async Task GetNps_FiltersBySurveyAndPeriod_AndComputesTheScoreWithItsMargin()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Roles"] = "ingest" });
        // Four delivery answers in November (2 promoters, 1 passive, 1 detractor), one in October, one other survey.
        await using (var command = service.DataSource.CreateCommand("""
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, state, created_at, due_at, valid_for)
            select gen_random_uuid(), '/t', 'e' || n, 'order.delivered', 'r', s, 'email', 'answered', now(), now(), '30 days'
            from (values (1, 'delivery'), (2, 'delivery'), (3, 'delivery'), (4, 'delivery'), (5, 'delivery'), (6, 'support')) v(n, s);
            insert into responses (invitation_id, survey, channel, score, answered_at, updated_at)
            select i.id, i.survey, 'email', v.score, v.at, v.at
            from invitations i join (values ('e1', 10, timestamptz '2026-11-03'), ('e2', 9, '2026-11-04'), ('e3', 7, '2026-11-05'),
                                            ('e4', 2, '2026-11-06'), ('e5', 0, '2026-10-20'), ('e6', 0, '2026-11-03')) v(e, score, at)
              on v.e = i.event_id;
            """))
            await command.ExecuteNonQueryAsync();

        using var november = JsonDocument.Parse(await service.Host!.Ops.GetStringAsync("/api/nps?from=2026-11-01&to=2026-12-01&survey=delivery"));
        var report = november.RootElement;
        report.GetProperty("promoters").GetInt32().ShouldBe(2);
        report.GetProperty("passives").GetInt32().ShouldBe(1);
        report.GetProperty("detractors").GetInt32().ShouldBe(1);
        report.GetProperty("responses").GetInt32().ShouldBe(4);
        report.GetProperty("nps").GetDouble().ShouldBe(25);
        // p = .5, d = .25, n = 4: 1.96 · 100 · √((.75 − .0625) / 4) = 81.26.
        report.GetProperty("marginOfError").GetDouble().ShouldBe(81.3);

        using var all = JsonDocument.Parse(await service.Host.Ops.GetStringAsync("/api/nps"));
        all.RootElement.GetProperty("responses").GetInt32().ShouldBe(6);
        all.RootElement.GetProperty("nps").GetDouble().ShouldBe(Math.Round(100.0 * (2 - 3) / 6, 1));
        // p = 2/6, d = 3/6: 1.96 · 100 · √((5/6 − 1/36) / 6) = 71.82.
        all.RootElement.GetProperty("marginOfError").GetDouble().ShouldBe(71.8);

        // One answer: an NPS, but no margin.
        using var october = JsonDocument.Parse(await service.Host.Ops.GetStringAsync("/api/nps?from=2026-10-01&to=2026-11-01"));
        october.RootElement.GetProperty("responses").GetInt32().ShouldBe(1);
        october.RootElement.GetProperty("nps").GetDouble().ShouldBe(-100);
        october.RootElement.GetProperty("marginOfError").ValueKind.ShouldBe(JsonValueKind.Null);

        using var none = JsonDocument.Parse(await service.Host.Ops.GetStringAsync("/api/nps?survey=unknown"));
        none.RootElement.GetProperty("responses").GetInt32().ShouldBe(0);
        none.RootElement.GetProperty("nps").ValueKind.ShouldBe(JsonValueKind.Null);
        none.RootElement.GetProperty("marginOfError").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task GetNps_OnePromoter_IsWhatTheReadmeAndArchitectureShow()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Roles"] = "ingest" });
        await using (var command = service.DataSource.CreateCommand("""
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, state, created_at, due_at, valid_for)
            values (gen_random_uuid(), '/t', 'e1', 'order.delivered', 'r', 'delivery', 'email', 'answered', now(), now(), '30 days');
            insert into responses (invitation_id, survey, channel, score, answered_at, updated_at)
            select id, survey, channel, 10, now(), now() from invitations;
            """))
            await command.ExecuteNonQueryAsync();
        var json = await service.Host!.Ops.GetStringAsync("/api/nps");

        // README's example, up to its "...": the first answer of the quick start.
        var readme = await File.ReadAllTextAsync(RepoRoot.Combine("README.md"));
        var example = System.Text.RegularExpressions.Regex.Match(readme, @"/api/nps\s+# (\{""promoters"".*?),\.\.\.\}");
        example.Success.ShouldBeTrue("README shows an /api/nps example");
        json.ShouldStartWith(example.Groups[1].Value);

        // docs/ARCHITECTURE.md's shape: the same fields in the same order.
        var architecture = await File.ReadAllTextAsync(RepoRoot.Combine("docs", "ARCHITECTURE.md"));
        var shape = System.Text.RegularExpressions.Regex.Match(architecture, @"one row in its older\s+shape: `(\{[^`]*\})`");
        shape.Success.ShouldBeTrue("ARCHITECTURE shows /api/nps's shape");
        string[] Names(string text) => [.. System.Text.RegularExpressions.Regex.Matches(text, @"""(\w+)"":").Select(m => m.Groups[1].Value)];
        Names(json).ShouldBe(Names(shape.Groups[1].Value));
    }

    [Theory]
    [InlineData("/api/nps?from=yesterday", "from")]
    [InlineData("/api/nps?from=2026-11-02&to=2026-11-01", "to")]
    public async Task GetNps_BadQuery_IsAProblemDetails400(string url, string field)
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Roles"] = "ingest" });
        var response = await service.Host!.Ops.GetAsync(url);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
    }
}
