using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Rules;

/// <summary>POST /api/events: the Kafka contract over HTTP, with the same idempotency, dead letters and rules.</summary>
public sealed class EventsApiTests
{
    // POST /api/events is the triggers role's door (issue 19): the role that owns the intake pipeline serves it.
    private static Dictionary<string, string?> Settings() => new() { ["Roles"] = "triggers", ["EventsApi:ApiKeys:0"] = TestKeys.Events };

    private static string Envelope(string id, object? data = null) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["specversion"] = "1.0", ["id"] = id, ["source"] = "/kiosk", ["type"] = "order.delivered", ["time"] = "2026-11-02T08:00:00Z",
        ["data"] = data ?? BusinessEvents.OrderDelivered(id),
    });

    private static async Task<HttpResponseMessage> PostAsync(ServiceUnderTest service, string body, string contentType, string? key = TestKeys.Events)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (key is not null)
            request.Headers.Add("X-Api-Key", key);
        return await service.Host!.Http.SendAsync(request);
    }

    [Fact]
    public async Task Post_ToAHostWithoutTheTriggersRole_IsNotServed()
    {
        var settings = Settings();
        settings["Roles"] = "dispatch,ingest";
        await using var service = await ServiceUnderTest.StartAsync(settings);
        (await PostAsync(service, Envelope("http-0"), "application/cloudevents+json")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await service.ScalarAsync<long>("select count(*) from inbox")).ShouldBe(0);
    }

    [Fact]
    public async Task Post_SingleEventTwice_CreatesOneInvitation()
    {
        await using var service = await ServiceUnderTest.StartAsync(Settings());
        for (var i = 0; i < 2; i++)
            (await PostAsync(service, Envelope("http-1"), "application/cloudevents+json")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await service.ScalarAsync<long>("select count(*) from invitations")).ShouldBe(1);
        (await service.ScalarAsync<string>("select topic from inbox")).ShouldBe("http");
    }

    [Fact]
    public async Task Post_BatchWithABadEvent_AcceptsTheRestAndDeadLettersItWithTheReason()
    {
        await using var service = await ServiceUnderTest.StartAsync(Settings());
        var bad = Envelope("http-bad", new { recipient = new { name = "Nobody" } });
        var response = await PostAsync(service, $"[{Envelope("http-a")},{bad},{Envelope("http-b")}]", "application/cloudevents-batch+json");
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        report.RootElement.GetProperty("accepted").GetInt32().ShouldBe(2);
        var rejected = report.RootElement.GetProperty("rejected").EnumerateArray().Single();
        rejected.GetProperty("index").GetInt32().ShouldBe(1);
        rejected.GetProperty("reason").GetString().ShouldBe("data.recipient has no usable contact: neither email nor phone");
        (await service.ScalarAsync<long>("select count(*) from invitations")).ShouldBe(2);
        (await service.ScalarAsync<string>("select reason from dead_letters where topic = 'http'")).ShouldContain("no usable contact");
    }

    [Fact]
    public async Task Post_BadRequests_GetProblemDetails()
    {
        await using var service = await ServiceUnderTest.StartAsync(Settings());
        (await PostAsync(service, Envelope("x"), "application/cloudevents+json", key: null)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await PostAsync(service, Envelope("x"), "application/cloudevents+json", key: "wrong-events-key-0123456789abcdefghij")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var media = await PostAsync(service, Envelope("x"), "application/json");
        media.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        media.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await PostAsync(service, "{not json", "application/cloudevents+json")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var tooMany = "[" + string.Join(",", Enumerable.Range(0, 101).Select(i => Envelope($"m{i}"))) + "]";
        (await PostAsync(service, tooMany, "application/cloudevents-batch+json")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var allBad = await PostAsync(service, Envelope("y", new { nothing = true }), "application/cloudevents+json");
        allBad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await allBad.Content.ReadAsStringAsync()).ShouldContain("data.recipient is missing");
        (await service.ScalarAsync<long>("select count(*) from invitations")).ShouldBe(0);
    }
}
