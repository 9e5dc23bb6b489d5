using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NpsTriggers.Testing;

using NpsTriggers.IntegrationTests.Loop;

namespace NpsTriggers.IntegrationTests.Replies;

/// <summary><c>/api/responses</c> over real HTTP: answers from other channels, idempotency, filters, paging and CSV.</summary>
public sealed class ResponseApiTests
{
    private const string Key = TestKeys.Integration;

    private static async Task<ServiceUnderTest> StartAsync()
    {
        var settings = new Dictionary<string, string?>(OutboxPublisherTests.FastOutbox) { ["Api:Keys:0"] = Key };
        var service = await ServiceUnderTest.StartAsync(settings);
        service.Host!.Http.DefaultRequestHeaders.Add("X-Api-Key", Key);
        return service;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task Post_BadOrConflictingInput_GetsProblemDetailsAndRecordsNothing()
    {
        await using var service = await StartAsync();
        var links = await SentSurveys.SendAsync(service, "P1");
        var id = await SentSurveys.InvitationIdAsync(service, "P1");
        var http = service.Host!.Http;

        var bad = await http.PostAsJsonAsync("/api/responses", new { invitationId = id, score = 11, channel = "Phone Call!" });
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var errors = (await JsonAsync(bad)).GetProperty("errors");
        errors.TryGetProperty("score", out _).ShouldBeTrue();
        errors.TryGetProperty("channel", out _).ShouldBeTrue();
        var malformed = await http.PostAsync("/api/responses", new StringContent("""{"score": "seven"}""", System.Text.Encoding.UTF8, "application/json"));
        malformed.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await JsonAsync(malformed)).GetProperty("errors").TryGetProperty("score", out _).ShouldBeTrue();
        var neither = await http.PostAsJsonAsync("/api/responses", new { score = 5 });
        (await JsonAsync(neither)).GetProperty("errors").TryGetProperty("invitationId", out _).ShouldBeTrue();
        (await http.PostAsJsonAsync("/api/responses", new { token = "forged", score = 5 })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var unknown = await http.PostAsJsonAsync("/api/responses", new { invitationId = Guid.NewGuid(), score = 5 });
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await JsonAsync(unknown)).GetProperty("title").GetString().ShouldBe("Unknown invitation");
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(0);

        // The survey token from the email identifies the invitation as well as its id does.
        var token = links["P1"][0].Segments[^1];
        var created = await http.PostAsJsonAsync("/api/responses", new { token, score = 2, comment = "Nobody called back", channel = "phone" });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        created.Headers.Location!.ToString().ShouldBe($"/api/responses/{id}");
        var body = await JsonAsync(created);
        body.GetProperty("channel").GetString().ShouldBe("phone");
        body.GetProperty("category").GetString().ShouldBe("detractor");
        body.GetProperty("metadata").GetProperty("orderId").GetString().ShouldBe("P1");

        var duplicate = await http.PostAsJsonAsync("/api/responses", new { invitationId = id, score = 9 });
        duplicate.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        duplicate.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await service.ScalarAsync<int>("select score from responses")).ShouldBe(2);
        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(1);
        (await service.ScalarAsync<string>("select category from follow_up_tasks")).ShouldBe("detractor");

        http.DefaultRequestHeaders.Remove("X-Api-Key");
        (await http.PostAsJsonAsync("/api/responses", new { invitationId = id, score = 9 })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Post_SameIdempotencyKey_SameBodyReplaysAndDifferentBodyIsRejected()
    {
        await using var service = await StartAsync();
        var links = await SentSurveys.SendAsync(service, "K1", "K2", "K3");
        var id = await SentSurveys.InvitationIdAsync(service, "K1");
        var http = service.Host!.Http;

        async Task<HttpResponseMessage> PostAsync(string key, object body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/responses") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", key);
            return await http.SendAsync(request);
        }

        var first = await PostAsync("call-771", new { invitationId = id, score = 8, channel = "phone" });
        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        service.Clock.Advance(TimeSpan.FromMinutes(1));
        var again = await PostAsync("call-771", new { invitationId = id, score = 8, channel = "phone" });
        again.StatusCode.ShouldBe(HttpStatusCode.Created);
        again.Headers.GetValues("Idempotent-Replayed").Single().ShouldBe("true");
        (await JsonAsync(again)).GetRawText().ShouldBe((await JsonAsync(first)).GetRawText());

        var changed = await PostAsync("call-771", new { invitationId = id, score = 3, channel = "phone" });
        changed.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await JsonAsync(changed)).GetProperty("title").GetString().ShouldBe("Idempotency-Key reused");

        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(1);
        (await service.ScalarAsync<int>("select version from responses")).ShouldBe(1);
        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(1);
        (await service.ScalarAsync<long>("select count(*) from idempotency_keys")).ShouldBe(1);

        // A failed request stores no key: fixing the body and retrying with the same key works.
        var unknown = await PostAsync("call-772", new { invitationId = Guid.NewGuid(), score = 8 });
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var k2 = await SentSurveys.InvitationIdAsync(service, "K2");
        (await PostAsync("call-772", new { invitationId = k2, score = 8 })).StatusCode.ShouldBe(HttpStatusCode.Created);

        // After the survey closed, a retry still replays (the token names the same invitation as the id did)...
        service.Clock.Advance(TimeSpan.FromDays(31));
        var late = await PostAsync("call-771", new { token = links["K1"][5].Segments[^1], score = 8, channel = "phone" });
        late.StatusCode.ShouldBe(HttpStatusCode.Created);
        late.Headers.GetValues("Idempotent-Replayed").Single().ShouldBe("true");
        // ...while a new answer to a closed survey is refused.
        var closed = await PostAsync("call-773", new { invitationId = await SentSurveys.InvitationIdAsync(service, "K3"), score = 8 });
        closed.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await JsonAsync(closed)).GetProperty("title").GetString().ShouldBe("Survey not open");
    }

    [Fact]
    public async Task Post_ConcurrentRetriesWithOneKey_RecordOnceAndAllGetTheSameAnswer()
    {
        await using var service = await StartAsync();
        await SentSurveys.SendAsync(service, "C1");
        var id = await SentSurveys.InvitationIdAsync(service, "C1");
        var http = service.Host!.Http;

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/responses") { Content = JsonContent.Create(new { invitationId = id, score = 4 }) };
            request.Headers.Add("Idempotency-Key", "kiosk-19");
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }));

        answers.Select(a => a.StatusCode).Distinct().ShouldBe([HttpStatusCode.Created]);
        answers.Select(a => a.Item2).Distinct().Count().ShouldBe(1);
        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(1);
    }

    [Fact]
    public async Task List_FiltersAndCursor_PagesThroughEveryMatchOnceAndExportsCsv()
    {
        await using var service = await StartAsync();
        string[] orders = ["L1", "L2", "L3", "L4", "L5"];
        await SentSurveys.SendAsync(service, orders);
        var http = service.Host!.Http;
        int[] scores = [1, 9, 4, 10, 6];
        string[] comments = ["He said \"no\", twice", "Line one\nline two", "=HYPERLINK(\"http://x\")", "plain", ""];
        for (var i = 0; i < orders.Length; i++)
        {
            var id = await SentSurveys.InvitationIdAsync(service, orders[i]);
            service.Clock.Advance(TimeSpan.FromMinutes(1));
            (await http.PostAsJsonAsync("/api/responses", new { invitationId = id, score = scores[i], comment = comments[i], channel = i % 2 == 0 ? "phone" : "app" }))
                .StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        // Detractors (1, 4, 6) two per page: two pages, each response once, in answer order.
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await http.GetFromJsonAsync<JsonElement>($"/api/responses?survey=delivery&category=detractor&limit=2{(cursor is null ? "" : "&cursor=" + cursor)}");
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("metadata").GetProperty("orderId").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null);
        seen.ShouldBe(["L1", "L3", "L5"]);
        pages.ShouldBe(2);

        var phone = await http.GetFromJsonAsync<JsonElement>("/api/responses?channel=phone&metadata.orderId=L3");
        phone.GetProperty("items").EnumerateArray().Single().GetProperty("score").GetInt32().ShouldBe(4);
        var window = await http.GetFromJsonAsync<JsonElement>(
            $"/api/responses?from={Uri.EscapeDataString(ServiceUnderTest.Start.AddDays(14).AddMinutes(2).ToString("O"))}&to={Uri.EscapeDataString(ServiceUnderTest.Start.AddDays(14).AddMinutes(4).ToString("O"))}");
        window.GetProperty("items").GetArrayLength().ShouldBe(2);
        (await http.GetAsync("/api/responses?category=angry&cursor=%%%")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, "/api/responses?survey=delivery");
        csvRequest.Headers.Accept.ParseAdd("text/csv");
        var csv = await http.SendAsync(csvRequest);
        csv.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var text = await csv.Content.ReadAsStringAsync();
        var lines = text.Split("\r\n");
        lines[0].ShouldBe("invitation_id,survey,channel,score,category,comment,answered_at,updated_at,version,metadata");
        text.ShouldContain(",phone,1,detractor,\"He said \"\"no\"\", twice\",");
        text.ShouldContain(",app,9,promoter,\"Line one\nline two\",");
        text.ShouldContain(",phone,4,detractor,\"'=HYPERLINK(\"\"http://x\"\")\",");
        text.ShouldContain(",app,10,promoter,plain,");
        text.ShouldEndWith("\r\n");
        (await http.GetStringAsync("/api/responses?format=csv&category=promoter")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(3);
    }
}
