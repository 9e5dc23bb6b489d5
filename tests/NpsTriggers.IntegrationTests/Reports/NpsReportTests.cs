using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Reports;

/// <summary>The NPS report against a hand-computed fixture: groups, periods, time zones, margins and response rates.</summary>
public sealed class NpsReportTests
{
    internal const string Key = TestKeys.Admin;

    // Group A: 6 emails (product A, zone unknown = UTC) sent Mon 2 Nov 10:00Z; 4 answered Tue 3 Nov 23:30Z: 10, 9, 7, 3.
    // Group B: 4 SMS (product B, America/New_York) sent Mon 9 Nov 10:00Z; 2 answered Wed 11 Nov 02:00Z: 10, 0.
    internal static async Task<ServiceUnderTest> StartWithFixtureAsync()
    {
        var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Admin:ApiKeys:0"] = Key });
        var a = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToArray();
        var b = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToArray();
        await InsertAsync(service, a, "email", "A", null, "2026-11-02T10:00:00Z", "2026-11-03T23:30:00Z", [10, 9, 7, 3]);
        await InsertAsync(service, b, "sms", "B", "America/New_York", "2026-11-09T10:00:00Z", "2026-11-11T02:00:00Z", [10, 0]);
        return service;
    }

    private static async Task InsertAsync(ServiceUnderTest service, Guid[] ids, string channel, string product, string? zone, string sentAt, string answeredAt, int[] scores)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            await using var command = service.DataSource.CreateCommand("""
                insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, time_zone, attributes, state,
                                         created_at, due_at, valid_for, sent_at, answered_at)
                values (@id, '/fixture', @id::text, 'order.delivered', 'delivered', 'delivery', @channel, @zone, @attributes::jsonb,
                        case when @answered then 'answered' else 'sent' end, @sent, @sent, interval '30 days', @sent,
                        case when @answered then @at end);
                insert into responses (invitation_id, survey, channel, score, attributes, answered_at, updated_at)
                select @id, 'delivery', @channel, @score, @attributes::jsonb, @at, @at where @answered;
                """);
            command.Parameters.AddWithValue("id", ids[i]);
            command.Parameters.AddWithValue("channel", channel);
            command.Parameters.Add(new Npgsql.NpgsqlParameter("zone", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)zone ?? DBNull.Value });
            command.Parameters.AddWithValue("attributes", JsonSerializer.Serialize(new { product }));
            command.Parameters.AddWithValue("answered", i < scores.Length);
            command.Parameters.AddWithValue("score", (short)(i < scores.Length ? scores[i] : 0));
            command.Parameters.AddWithValue("sent", DateTimeOffset.Parse(sentAt, System.Globalization.CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("at", DateTimeOffset.Parse(answeredAt, System.Globalization.CultureInfo.InvariantCulture));
            await command.ExecuteNonQueryAsync();
        }
    }

    private static async Task<List<string>> RowsAsync(ServiceUnderTest service, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/reports/nps?" + query);
        request.Headers.Add("X-Api-Key", Key);
        using var response = await service.Host!.Http.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        // One line per row: group, period, P/Pa/D, responses, NPS ± margin, answered/sent = rate.
        return [.. report.GetProperty("rows").EnumerateArray().Select(r =>
            $"{Text(r, "group")} {Text(r, "period")} {r.GetProperty("promoters")}/{r.GetProperty("passives")}/{r.GetProperty("detractors")} " +
            $"n={r.GetProperty("responses")} nps={Text(r, "nps")}±{Text(r, "marginOfError")} {r.GetProperty("answered")}/{r.GetProperty("sent")}={Text(r, "responseRate")}")];
    }

    private static string Text(JsonElement row, string name) => row.GetProperty(name) is { ValueKind: not JsonValueKind.Null } v ? v.ToString() : "-";

    [Fact]
    public async Task Report_ByChannel_MatchesTheHandComputedFigures()
    {
        await using var service = await StartWithFixtureAsync();
        // email: 2 promoters, 1 passive, 1 detractor of 4 → 50% − 25% = 25; margin 1.96·100·√((.75 − .0625)/4) = 81.3.
        // sms: 1 and 1 of 2 → 0; margin 1.96·100·√(1/2) = 138.6. Response rates: 4 of 6 sent, 2 of 4 sent.
        (await RowsAsync(service, "by=channel")).ShouldBe([
            "email - 2/1/1 n=4 nps=25±81.3 4/6=66.7",
            "sms - 1/0/1 n=2 nps=0±138.6 2/4=50",
        ]);
        (await RowsAsync(service, "by=channel&channel=sms")).ShouldBe(["sms - 1/0/1 n=2 nps=0±138.6 2/4=50"]);
    }

    [Fact]
    public async Task Report_ByMetadataFieldAndWeek_GroupsByTheKeptProduct()
    {
        await using var service = await StartWithFixtureAsync();
        (await RowsAsync(service, "by=product&interval=week")).ShouldBe([
            "A 2026-11-02 2/1/1 n=4 nps=25±81.3 4/6=66.7",
            "B 2026-11-09 1/0/1 n=2 nps=0±138.6 2/4=50",
        ]);
    }

    [Fact]
    public async Task Report_ByDay_CountsEachAnswerOnItsDayInTheChosenOrTheRespondentsZone()
    {
        await using var service = await StartWithFixtureAsync();
        // Berlin is UTC+1: group A's answers (23:30Z on the 3rd) fall on the 4th there.
        (await RowsAsync(service, "interval=day&tz=Europe/Berlin")).ShouldBe([
            "- 2026-11-02 0/0/0 n=0 nps=-±- 4/6=66.7",
            "- 2026-11-04 2/1/1 n=4 nps=25±81.3 0/0=-",
            "- 2026-11-09 0/0/0 n=0 nps=-±- 2/4=50",
            "- 2026-11-11 1/0/1 n=2 nps=0±138.6 0/0=-",
        ]);
        // Each respondent's own zone: A has none (UTC, the 3rd); B is in New York, where 02:00Z on the 11th is the 10th.
        (await RowsAsync(service, "interval=day&tz=respondent")).ShouldBe([
            "- 2026-11-02 0/0/0 n=0 nps=-±- 4/6=66.7",
            "- 2026-11-03 2/1/1 n=4 nps=25±81.3 0/0=-",
            "- 2026-11-09 0/0/0 n=0 nps=-±- 2/4=50",
            "- 2026-11-10 1/0/1 n=2 nps=0±138.6 0/0=-",
        ]);
        (await RowsAsync(service, "interval=month&from=2026-11-10")).ShouldBe(["- 2026-11-01 1/0/1 n=2 nps=0±138.6 0/0=-"]);
    }

    [Fact]
    public async Task Report_BadQueryOrNoKey_IsRefusedWithAClearAnswer()
    {
        await using var service = await StartWithFixtureAsync();
        using var bad = new HttpRequestMessage(HttpMethod.Get, "/api/reports/nps?tz=Mars/Olympus&interval=fortnight&by=a%20b");
        bad.Headers.Add("X-Api-Key", Key);
        using var problem = await service.Host!.Http.SendAsync(bad);
        problem.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        problem.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var errors = (await problem.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        errors.GetProperty("tz")[0].GetString().ShouldBe("'Mars/Olympus' is not an IANA time zone (Europe/Berlin) or 'respondent'.");
        errors.GetProperty("interval")[0].GetString().ShouldBe("interval is day, week or month.");
        errors.TryGetProperty("by", out _).ShouldBeTrue();

        using var anonymous = await service.Host.Http.GetAsync("/api/reports/nps");
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        anonymous.Headers.WwwAuthenticate.ToString().ShouldStartWith("Basic");
        // A browser answers the challenge with the key as password.
        using var browser = new HttpRequestMessage(HttpMethod.Get, "/api/reports/nps");
        browser.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:" + Key)));
        (await service.Host.Http.SendAsync(browser)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
