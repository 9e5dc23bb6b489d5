using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Privacy;

/// <summary>Export and erasure of one person: every identifier gone from every table, aggregates unchanged, opt-out kept.</summary>
public sealed class ErasureTests
{
    private const string Key = TestKeys.Admin;
    private const string Email = "zebulon.quist@example.com";
    private const string Name = "Zebulon";
    private const string OrderId = "ZQ-7731"; // customer id "c-ZQ-7731"

    private static HttpRequestMessage Request(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Api-Key", Key);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        return request;
    }

    [Fact]
    public async Task Erase_ByEmail_LeavesNoTraceOfTheIdentifiers_KeepsAggregatesAndTheOptOut()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Admin:ApiKeys:0"] = Key });
        await service.PublishAsync(
            BusinessEvents.Binary("zq-1", "order.delivered", BusinessEvents.OrderDelivered(OrderId, Email, Name), ServiceUnderTest.Start),
            BusinessEvents.Binary("other-1", "order.delivered", BusinessEvents.OrderDelivered("OT-1", "other@example.com", "Other"), ServiceUnderTest.Start),
            // A broken record that still quotes the person: a dead letter with the raw bytes.
            BusinessEvents.Raw(Encoding.UTF8.GetBytes($$"""{"specversion":"1.0","id":"zq-bad","data":{"recipient":{"email":"{{Email}}"}"""), ("content-type", "application/cloudevents+json")));
        await service.WaitForCountAsync("select count(*) from invitations", 2);
        await service.WaitForCountAsync("select count(*) from dead_letters", 1);
        service.Clock.Advance(TimeSpan.FromDays(14));
        var messages = await service.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(30));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 2);

        // The person answers 3 with a comment and unsubscribes; the other person answers 10.
        var mine = messages.Single(m => m.To.ToString().Contains(Email, StringComparison.Ordinal));
        var links = EndToEndTests.ScoreLinks(mine, service.Host!.BaseAddress);
        (await ScoreClicks.ClickAsync(service.Host.Http, links[3])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await service.Host.Http.PostAsync(links[3], new FormUrlEncodedContent([new("comment", $"Courier lost it. Call me, {Name}, at {Email}")]))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var unsubscribe = new Uri(mine.Headers[MimeKit.HeaderId.ListUnsubscribe]!.Trim().Trim('<', '>'));
        (await service.Host.Http.PostAsync(unsubscribe, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var theirs = messages.Single(m => m != mine);
        (await ScoreClicks.ClickAsync(service.Host.Http, EndToEndTests.ScoreLinks(theirs, service.Host.BaseAddress)[10])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var npsBefore = await service.Host.Ops.GetStringAsync("/api/nps");

        using (var export = await service.Host.Http.SendAsync(Request(HttpMethod.Get, $"/api/privacy/export?email={Uri.EscapeDataString(Email.ToUpperInvariant())}")))
        {
            export.StatusCode.ShouldBe(HttpStatusCode.OK);
            var json = await export.Content.ReadFromJsonAsync<JsonElement>();
            json.GetProperty("invitations").GetArrayLength().ShouldBe(1);
            json.GetProperty("invitations")[0].GetProperty("customer_id").GetString().ShouldBe("c-" + OrderId);
            json.GetProperty("responses")[0].GetProperty("comment").GetString().ShouldStartWith("Courier lost it.");
            json.GetProperty("suppressions")[0].GetProperty("address").GetString().ShouldBe(Email);
        }
        foreach (var identifier in new[] { Email, "c-" + OrderId, Name })
            (await PersonTraces.TablesAsync(service, identifier)).ShouldNotBeEmpty(identifier);

        var erased = await service.ScalarAsync<Guid>("select id from invitations where email = @email", ("email", Email));
        using var erase = await service.Host.Http.SendAsync(Request(HttpMethod.Post, "/api/privacy/erasures", new { email = Email }));
        erase.StatusCode.ShouldBe(HttpStatusCode.OK);
        var result = await erase.Content.ReadFromJsonAsync<JsonElement>();
        result.GetProperty("invitations").GetInt32().ShouldBe(1);
        result.GetProperty("deadLetters").GetInt32().ShouldBe(1);
        result.GetProperty("outboxRows").GetInt32().ShouldBeGreaterThan(0);
        // Consumers of nps.response.recorded hold copies too: they are told which invitations to erase (ids only).
        (await service.ScalarAsync<string>("select payload::text from outbox where event_type = 'nps.person.erased'"))
            .ShouldContain(erased.ToString());

        foreach (var identifier in new[] { Email, "c-" + OrderId, Name })
            (await PersonTraces.TablesAsync(service, identifier)).ShouldBeEmpty(identifier);
        (await service.Host.Ops.GetStringAsync("/api/nps")).ShouldBe(npsBefore);
        (await service.ScalarAsync<long>("select count(*) from responses where score = 3")).ShouldBe(1);
        (await PersonTraces.TablesAsync(service, "other@example.com")).ShouldNotBeEmpty(); // someone else's data is untouched

        // The opt-out outlives the erasure, as a hash: a new order for the same address is suppressed at send time.
        await service.PublishAsync(BusinessEvents.Binary("zq-2", "order.delivered", BusinessEvents.OrderDelivered("ZQ-7732", Email, "Z"), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from invitations", 3);
        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'suppressed'", 1);
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Erase_WhileTheEventsWaitToBePublished_PublishesThemWithTheCustomerAndCommentNull()
    {
        var settings = new Dictionary<string, string?>(Loop.OutboxPublisherTests.FastOutbox) { ["Admin:ApiKeys:0"] = Key };
        var (service, links) = await Loop.OutboxPublisherTests.StartWithSentAsync(settings, "ER1", "ER2");
        await using var _ = service;
        var http = service.Host!.Http;
        // Every change below waits in the log while the person is erased.
        await using var hold = await Loop.ResponseEvents.HoldStreamAsync(service);
        (await ScoreClicks.ClickAsync(http, links["ER1"][2])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await http.PostAsync(links["ER1"][2], new FormUrlEncodedContent([new("comment", "Ring me on 0171 555 0199, ask for Quist")]))).StatusCode
            .ShouldBe(HttpStatusCode.OK);
        (await ScoreClicks.ClickAsync(http, links["ER2"][9])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await service.ScalarAsync<long>("select count(*) from response_events_waiting")).ShouldBe(3);

        using (var erase = await http.SendAsync(Request(HttpMethod.Post, "/api/privacy/erasures", new { email = "person-ER1@example.com" })))
            erase.StatusCode.ShouldBe(HttpStatusCode.OK);
        await hold.ReleaseAsync();

        var records = Loop.ResponseEvents.ReadAll(service.Kafka.BootstrapServers, atLeast: 4, quiet: TimeSpan.FromSeconds(2));
        // Consumers are told which invitation to erase, and get the waiting events without the person's fields.
        records.Single(r => r.Event.GetProperty("type").GetString() == "nps.person.erased").Event.GetRawText()
            .ShouldContain((await Loop.SentSurveys.InvitationIdAsync(service, "ER1")).ToString());
        var events = records.Where(r => r.Event.GetProperty("type").GetString() == "nps.response.recorded")
            .ToDictionary(r => r.Event.GetProperty("id").GetString()!, r => r.Event.GetProperty("data"));
        var (erased, kept) = (await Loop.SentSurveys.InvitationIdAsync(service, "ER1"), await Loop.SentSurveys.InvitationIdAsync(service, "ER2"));
        events.Keys.Order(StringComparer.Ordinal).ShouldBe(new[] { $"{erased}:1", $"{erased}:2", $"{kept}:1" }.Order(StringComparer.Ordinal));
        foreach (var version in new[] { 1, 2 })
        {
            var data = events[$"{erased}:{version}"];
            data.GetProperty("customerId").ValueKind.ShouldBe(JsonValueKind.Null);
            data.GetProperty("comment").ValueKind.ShouldBe(JsonValueKind.Null);
            data.GetRawText().ShouldNotContain("0171", Case.Insensitive);
            data.GetRawText().ShouldNotContain("c-ER1", Case.Insensitive);
            // What makes the aggregates stays.
            data.GetProperty("score").GetInt32().ShouldBe(2);
            data.GetProperty("category").GetString().ShouldBe("detractor");
            data.GetProperty("version").GetInt32().ShouldBe(version);
        }
        // Erased or not, each event keeps to its published schema.
        var schema = await NJsonSchema.JsonSchema.FromFileAsync(RepoRoot.Combine("docs", "schemas", "response-recorded.schema.json"));
        foreach (var record in records.Where(r => r.Event.GetProperty("type").GetString() == "nps.response.recorded"))
            schema.Validate(record.Event.GetRawText()).ShouldBeEmpty();
        // Someone else's event is whole.
        events[$"{kept}:1"].GetProperty("customerId").GetString().ShouldBe("c-ER2");
        events[$"{kept}:1"].GetProperty("comment").ValueKind.ShouldBe(JsonValueKind.Null);
        events[$"{kept}:1"].GetProperty("metadata").GetProperty("orderId").GetString().ShouldBe("ER2");
    }

    [Fact]
    public async Task Erase_WithoutAnyIdentifier_IsAProblem()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Admin:ApiKeys:0"] = Key });
        using var response = await service.Host!.Http.SendAsync(Request(HttpMethod.Post, "/api/privacy/erasures", new { email = " " }));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("person")[0].GetString()
            .ShouldBe("Give at least one of customerId, email, phone.");
    }
}
