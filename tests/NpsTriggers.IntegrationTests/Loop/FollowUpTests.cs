using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NpsTriggers.Core.Nps;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Loop;

/// <summary>
/// Follow-up tasks: one per response (derived from it, migration 0026), due by category, assigned, closed, and overdue
/// by the injected clock.
/// </summary>
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

    [Fact]
    public async Task AnAnswerWritesNoTaskRow_AssigningOrClosingDoes_AndAClosedTaskKeepsTheCategoryItWasClosedIn()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?>(OutboxPublisherTests.FastOutbox)
        {
            ["Api:Keys:0"] = Key,
            ["Outbox:Publish"] = "false",
        });
        var links = await SentSurveys.SendAsync(service, "H1", "H2");
        var http = service.Host!.Http;
        http.DefaultRequestHeaders.Add("X-Api-Key", Key);
        var answeredAt = service.Clock.GetUtcNow();
        (await ScoreClicks.ClickAsync(http, links["H1"][2])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await ScoreClicks.ClickAsync(http, links["H2"][8])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var h1 = await SentSurveys.InvitationIdAsync(service, "H1");
        var h2 = await SentSurveys.InvitationIdAsync(service, "H2");
        (await http.GetFromJsonAsync<JsonElement>("/api/follow-ups")).GetArrayLength().ShouldBe(2);
        (await service.ScalarAsync<long>("select count(*) from follow_ups")).ShouldBe(0, "a task is its response until someone acts on it");

        (await http.PostAsJsonAsync($"/api/follow-ups/{h2}/assign", new { assignee = "ada.k" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await http.PostAsJsonAsync($"/api/follow-ups/{h1}/close", new { note = "Called back" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await service.ScalarAsync<long>("select count(*) from follow_ups")).ShouldBe(2);

        // Both change their score afterwards: the open task follows it, the closed one stays as it was closed.
        (await ScoreClicks.ClickAsync(http, links["H1"][10])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await ScoreClicks.ClickAsync(http, links["H2"][1])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var closed = await http.GetFromJsonAsync<JsonElement>($"/api/follow-ups/{h1}");
        closed.GetProperty("state").GetString().ShouldBe("closed");
        closed.GetProperty("category").GetString().ShouldBe("detractor");
        closed.GetProperty("score").GetInt32().ShouldBe(10);
        closed.GetProperty("note").GetString().ShouldBe("Called back");
        var open = await http.GetFromJsonAsync<JsonElement>($"/api/follow-ups/{h2}");
        open.GetProperty("state").GetString().ShouldBe("open");
        open.GetProperty("category").GetString().ShouldBe("detractor");
        open.GetProperty("assignee").GetString().ShouldBe("ada.k");
        open.GetProperty("dueAt").GetDateTimeOffset().ShouldBe(answeredAt.AddDays(3));
        (await http.GetFromJsonAsync<JsonElement>("/api/follow-ups?category=promoter")).GetArrayLength().ShouldBe(0);
        (await http.GetFromJsonAsync<JsonElement>("/api/follow-ups?category=detractor&state=open")).EnumerateArray()
            .Single().GetProperty("invitationId").GetGuid().ShouldBe(h2);
    }

    private sealed record Answered(int Score, int AnsweredMinute, int Action, int? LaterScore);

    private sealed record Query(string? State, string? Assignee, string? Category, bool Overdue, int Limit);

    private sealed record Case(Answered[] Tasks, int[] DueHours, int NowMinute, Query Query);

    private static Gen<Case> CaseGen() =>
        from tasks in (from score in Gen.Choose(0, 10)
                       from minute in Gen.Choose(0, 20_000)
                       from action in Gen.Choose(0, 3) // 0 none, 1 assigned to a, 2 assigned to b, 3 closed
                       from later in Gen.Choose(-1, 10)
                       select new Answered(score, minute, action, later < 0 ? null : later)).ArrayOf().Where(a => a.Length <= 30)
        from due in Gen.Choose(1, 240).ArrayOf(3)
        from now in Gen.Choose(0, 30_000)
        from state in Gen.Elements<string?>(null, "open", "closed")
        from assignee in Gen.Elements<string?>(null, "a", "b")
        from category in Gen.Elements<string?>(null, "detractor", "passive", "promoter")
        from overdue in Gen.Elements(false, true)
        from limit in Gen.Choose(1, 12)
        select new Case(tasks, due, now, new Query(overdue ? "open" : state, assignee, category, overdue, limit));

    [Fact]
    public async Task List_OverGeneratedTasksAndFilters_MatchesAModelOfDueDatesCategoriesAndStates()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.MigrateAsync();
        var start = new DateTimeOffset(2026, 11, 2, 6, 0, 0, TimeSpan.Zero);
        var nonEmpty = 0;
        foreach (var sample in CaseGen().Sample(50, new Rnd(20261206), 30))
        {
            await service.ExecuteAsync("truncate follow_ups, responses, invitations cascade");
            var options = new FollowUpOptions
            {
                DetractorDue = TimeSpan.FromHours(sample.DueHours[0]),
                PassiveDue = TimeSpan.FromHours(sample.DueHours[1]),
                PromoterDue = TimeSpan.FromHours(sample.DueHours[2]),
            };
            var clock = new FakeTimeProvider(start);
            var store = new FollowUpStore(service.DataSource, Options.Create(options), clock);
            var ids = sample.Tasks.Select(_ => Guid.NewGuid()).ToArray();
            await SeedAsync(service, ids, sample.Tasks, start);
            for (var n = 0; n < ids.Length; n++)
            {
                var change = sample.Tasks[n].Action switch
                {
                    1 => await store.AssignAsync(ids[n], "a", default),
                    2 => await store.AssignAsync(ids[n], "b", default),
                    3 => await store.CloseAsync(ids[n], "done", default),
                    _ => FollowUpChange.Done,
                };
                change.ShouldBe(FollowUpChange.Done);
            }
            for (var n = 0; n < ids.Length; n++)
                if (sample.Tasks[n].LaterScore is { } later)
                    await service.ExecuteAsync("update responses set score = @score, version = version + 1 where invitation_id = @id",
                        ("score", (short)later), ("id", ids[n]));
            var now = start.AddMinutes(sample.NowMinute);
            clock.SetUtcNow(now);

            // The model: an open task shows its response's category now, a closed one the category it was closed in.
            var due = new Dictionary<string, TimeSpan> { ["detractor"] = options.DetractorDue, ["passive"] = options.PassiveDue, ["promoter"] = options.PromoterDue };
            var model = ids.Select((id, n) =>
            {
                var t = sample.Tasks[n];
                var state = t.Action == 3 ? "closed" : "open";
                var category = NpsSummary.CategoryOf(state == "closed" ? t.Score : t.LaterScore ?? t.Score);
                var dueAt = start.AddMinutes(t.AnsweredMinute) + due[category];
                var assignee = t.Action switch { 1 => "a", 2 => "b", _ => null };
                return (Id: id, Category: category, State: state, Assignee: assignee, DueAt: dueAt, Overdue: state == "open" && dueAt < now);
            }).ToList();
            var q = sample.Query;
            var expected = model
                .Where(m => (q.State is null || m.State == q.State) && (q.Assignee is null || m.Assignee == q.Assignee)
                            && (q.Category is null || m.Category == q.Category) && (!q.Overdue || m.Overdue))
                .OrderBy(m => m.DueAt).ThenBy(m => m.Id.ToString(), StringComparer.Ordinal)
                .Take(q.Limit).ToList();

            var listed = await store.ListAsync(q.State, q.Assignee, q.Category, q.Overdue, q.Limit, default);
            var shown = listed.Select(f => (f.InvitationId, f.Category, f.State, f.Assignee, f.DueAt, f.Overdue)).ToList();
            shown.ShouldBe(expected.Select(m => (m.Id, m.Category, m.State, m.Assignee, m.DueAt, m.Overdue)).ToList(), $"query {q}, due {string.Join('/', sample.DueHours)} h");
            if (shown.Count > 0)
                nonEmpty++;
            foreach (var m in model)
            {
                var one = await store.GetAsync(m.Id, default);
                (one!.Category, one.State, one.DueAt, one.Overdue).ShouldBe((m.Category, m.State, m.DueAt, m.Overdue));
            }
        }
        nonEmpty.ShouldBeGreaterThan(15, "the generated filters select some tasks often");
    }

    private static Task SeedAsync(ServiceUnderTest service, Guid[] ids, Answered[] tasks, DateTimeOffset start) =>
        service.ExecuteAsync("""
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, state, created_at, due_at, valid_for, answered_at)
            select t.id, '/t', t.id::text, 'order.delivered', 'r', 'delivery', 'email', 'sent', @start, @start, '30 days', t.at
            from unnest(@ids, @ats) as t (id, at);
            insert into responses (invitation_id, survey, channel, score, answered_at, updated_at)
            select t.id, 'delivery', 'email', t.score, t.at, t.at from unnest(@ids, @scores, @ats) as t (id, score, at)
            """, ("start", start), ("ids", ids), ("scores", tasks.Select(t => (short)t.Score).ToArray()),
            ("ats", tasks.Select(t => start.AddMinutes(t.AnsweredMinute)).ToArray()));
}
