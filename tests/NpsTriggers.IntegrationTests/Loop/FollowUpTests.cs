using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Loop;

/// <summary>Follow-up tasks: created with each response, due by category, assigned, closed, and overdue by the injected clock.</summary>
public sealed class FollowUpTests
{
    private const string Key = TestKeys.Integration;

    [Fact]
    public async Task FollowUps_DueByCategory_OverdueListFollowsTheClockUntilClosed()
    {
        var settings = new Dictionary<string, string?>(OutboxPublisherTests.FastOutbox)
        {
            ["Api:Keys:0"] = Key,
            // Passives get a configured 2 days instead of the default 5.
            ["FollowUps:PassiveDue"] = "2.00:00:00",
        };
        await using var service = await ServiceUnderTest.StartAsync(settings);
        var links = await SentSurveys.SendAsync(service, "F1", "F2", "F3");
        var http = service.Host!.Http;
        http.DefaultRequestHeaders.Add("X-Api-Key", Key);
        var answeredAt = service.Clock.GetUtcNow();
        (await ScoreClicks.ClickAsync(http, links["F1"][0])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await ScoreClicks.ClickAsync(http, links["F2"][8])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await ScoreClicks.ClickAsync(http, links["F3"][10])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var f1 = await SentSurveys.InvitationIdAsync(service, "F1");
        var f2 = await SentSurveys.InvitationIdAsync(service, "F2");
        var f3 = await SentSurveys.InvitationIdAsync(service, "F3");

        var all = await http.GetFromJsonAsync<JsonElement>("/api/follow-ups");
        var due = all.EnumerateArray().ToDictionary(t => t.GetProperty("invitationId").GetGuid(), t => t.GetProperty("dueAt").GetDateTimeOffset());
        due[f1].ShouldBe(answeredAt.AddDays(3));
        due[f2].ShouldBe(answeredAt.AddDays(2));
        due[f3].ShouldBe(answeredAt.AddDays(7));
        (await http.GetFromJsonAsync<JsonElement>("/api/follow-ups/overdue")).GetArrayLength().ShouldBe(0);

        service.Clock.Advance(TimeSpan.FromDays(3) + TimeSpan.FromMinutes(1));
        var overdue = await http.GetFromJsonAsync<JsonElement>("/api/follow-ups/overdue");
        overdue.EnumerateArray().Select(t => t.GetProperty("invitationId").GetGuid()).ShouldBe([f2, f1]);
        overdue[0].GetProperty("overdue").GetBoolean().ShouldBeTrue();
        overdue[1].GetProperty("score").GetInt32().ShouldBe(0);

        var assigned = await http.PostAsJsonAsync($"/api/follow-ups/{f1}/assign", new { assignee = "ada.k" });
        assigned.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await http.GetFromJsonAsync<JsonElement>("/api/follow-ups?assignee=ada.k")).EnumerateArray().Single().GetProperty("invitationId").GetGuid().ShouldBe(f1);
        (await http.PostAsJsonAsync($"/api/follow-ups/{f1}/assign", new { assignee = "" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var closed = await http.PostAsJsonAsync($"/api/follow-ups/{f1}/close", new { note = "Called, sent a replacement" });
        closed.StatusCode.ShouldBe(HttpStatusCode.OK);
        var task = JsonDocument.Parse(await closed.Content.ReadAsStringAsync()).RootElement;
        task.GetProperty("state").GetString().ShouldBe("closed");
        task.GetProperty("closedAt").GetDateTimeOffset().ShouldBe(service.Clock.GetUtcNow());
        (await http.PostAsJsonAsync($"/api/follow-ups/{f1}/close", new { note = "again" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await http.PostAsJsonAsync($"/api/follow-ups/{f1}/assign", new { assignee = "bo" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await http.PostAsJsonAsync($"/api/follow-ups/{Guid.NewGuid()}/close", new { })).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        (await http.GetFromJsonAsync<JsonElement>("/api/follow-ups/overdue")).EnumerateArray().Single().GetProperty("invitationId").GetGuid().ShouldBe(f2);
        (await http.GetFromJsonAsync<JsonElement>("/api/follow-ups?state=closed")).GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task FollowUp_ScoreChangedWhileOpen_TakesTheNewCategoryAndDueDate()
    {
        // Publishing is off here: follow-ups do not depend on it, and no Kafka rows pile up.
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?>(OutboxPublisherTests.FastOutbox)
        {
            ["Api:Keys:0"] = Key,
            ["Outbox:Publish"] = "false",
        });
        var links = await SentSurveys.SendAsync(service, "G1");
        var http = service.Host!.Http;
        http.DefaultRequestHeaders.Add("X-Api-Key", Key);
        var answeredAt = service.Clock.GetUtcNow();
        (await ScoreClicks.ClickAsync(http, links["G1"][9])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        service.Clock.Advance(TimeSpan.FromHours(1));
        (await ScoreClicks.ClickAsync(http, links["G1"][3])).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var task = (await http.GetFromJsonAsync<JsonElement>("/api/follow-ups")).EnumerateArray().Single();
        task.GetProperty("category").GetString().ShouldBe("detractor");
        task.GetProperty("dueAt").GetDateTimeOffset().ShouldBe(answeredAt.AddDays(3));
        (await service.ScalarAsync<long>("select (select count(*) from outbox) + (select count(*) from response_events)")).ShouldBe(0);
    }
}
