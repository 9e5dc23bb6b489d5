using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using NpsTriggers.Testing;
using NpsTriggers.Triggers.Intake;

namespace NpsTriggers.IntegrationTests.Pipeline;

/// <summary>
/// Whatever a producer sends, intake keeps running and every record ends as an invitation, a decision or a dead letter
/// with a readable reason; nothing is half-written and offsets move only past what is durable.
/// </summary>
public sealed class IntakeTotalityTests
{
    private const string EventsKey = "events-key-0123456789-abcdefghijklmnop";

    private static Dictionary<string, string?> Settings() => new() { ["Roles"] = "triggers,ingest", ["EventsApi:ApiKeys:0"] = EventsKey };

    private static string Envelope(string id, string time, object? data = null) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["specversion"] = "1.0", ["id"] = id, ["source"] = "/partner", ["type"] = "order.delivered", ["time"] = time,
        ["datacontenttype"] = "application/json", ["data"] = data ?? BusinessEvents.OrderDelivered(id),
    });

    private static async Task<HttpResponseMessage> PostAsync(ServiceUnderTest service, string body, bool batch = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(batch ? "application/cloudevents-batch+json" : "application/cloudevents+json");
        request.Headers.Add("X-Api-Key", EventsKey);
        return await service.Host!.Http.SendAsync(request);
    }

    /// <summary>Publishes one line per record through kcat, an independent Kafka client, as another team's producer would.</summary>
    private static async Task KcatAsync(ServiceUnderTest service, IEnumerable<string> lines, params string[] headers)
    {
        var start = new ProcessStartInfo("kcat") { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-P", "-b", service.Kafka.BootstrapServers, "-t", BusinessEvents.Topic])
            start.ArgumentList.Add(argument);
        foreach (var header in headers)
        {
            start.ArgumentList.Add("-H");
            start.ArgumentList.Add(header);
        }
        using var kcat = Process.Start(start)!;
        foreach (var line in lines)
            await kcat.StandardInput.WriteLineAsync(line);
        kcat.StandardInput.Close();
        await kcat.WaitForExitAsync();
        kcat.ExitCode.ShouldBe(0, await kcat.StandardError.ReadToEndAsync());
    }

    private static bool IntakeRunning(ServiceUnderTest service) =>
        ((KafkaIntakeService)service.Host!.Services.GetService(typeof(KafkaIntakeService))!).Running;

    private static Task WaitForCommittedAsync(ServiceUnderTest service) =>
        Eventually.Until(() => Task.FromResult(ConsumerGroupOffsets.Uncommitted(service.Kafka.BootstrapServers, "nps-triggers-test", BusinessEvents.Topic)),
            n => n == 0, TimeSpan.FromSeconds(60), "offsets committed up to the end of every partition");

    [Fact]
    public async Task EventTime_WithAnyRfc3339Offset_OnBothBindingsAndHttp_IsScheduledFromItsUtcInstant()
    {
        await using var service = await ServiceUnderTest.StartAsync(Settings());
        // The same instant, 2026-11-01T02:00:00Z, written as producers in four places would write it.
        var times = new[] { "2026-11-01T10:00:00+08:00", "2026-10-31T22:30:00-03:30", "2026-11-01T16:00:00+14:00", "2026-11-01t02:00:00.000000001z" };
        await KcatAsync(service, times.Select((t, i) => Envelope($"structured-{i}", t).Replace('\n', ' ')), "content-type=application/cloudevents+json");
        for (var i = 0; i < times.Length; i++)
        {
            await KcatAsync(service, [JsonSerializer.Serialize(BusinessEvents.OrderDelivered($"binary-{i}"))],
                "ce_specversion=1.0", $"ce_id=binary-{i}", "ce_source=/partner", "ce_type=order.delivered", $"ce_time={times[i]}", "content-type=application/json");
            (await PostAsync(service, Envelope($"http-{i}", times[i]))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }
        await service.WaitForCountAsync("select count(*) from invitations", 12);
        // Fourteen days after the instant, whatever the offset it was written with.
        (await service.ScalarAsync<long>("select count(*) from invitations where due_at = '2026-11-15T02:00:00Z'")).ShouldBe(12);
        (await service.ScalarAsync<long>("select count(*) from dead_letters")).ShouldBe(0);
        IntakeRunning(service).ShouldBeTrue();
        await WaitForCommittedAsync(service);
    }

    [Fact]
    public async Task TextPostgresCannotStore_IsDeadLetteredNamingTheField_AndIntakeGoesOn()
    {
        await using var service = await ServiceUnderTest.StartAsync(Settings());
        var nulInName = Envelope("nul-name", "2026-11-01T10:00:00Z").Replace("\"name\":\"Anna\"", "\"name\":\"An\\u0000na\"", StringComparison.Ordinal);
        var loneSurrogate = Envelope("lone", "2026-11-01T10:00:00Z").Replace("\"product\":\"Trail shoes\"", "\"product\":\"\\ud83d\"", StringComparison.Ordinal);
        await KcatAsync(service, [nulInName, loneSurrogate, Envelope("fine", "2026-11-01T10:00:00Z")], "content-type=application/cloudevents+json");
        // A NUL in a header value: kcat cannot write one, the test's own producer can.
        await service.PublishAsync(BusinessEvents.Raw(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(BusinessEvents.OrderDelivered("h"))),
            ("ce_specversion", "1.0"), ("ce_id", "nul\0header"), ("ce_source", "/partner"), ("ce_type", "order.delivered"), ("content-type", "application/json")));
        var http = await PostAsync(service, Envelope("http-nul", "2026-11-01T10:00:00Z", new { recipient = new { email = "a@example.com", customerId = "c\0" } }));

        await service.WaitForCountAsync("select count(*) from dead_letters where topic <> 'http'", 3);
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        var reasons = await ReasonsAsync(service);
        reasons.ShouldContain(r => r.Contains("data.recipient.name contains U+0000", StringComparison.Ordinal));
        reasons.ShouldContain(r => r.Contains("data.product contains an unpaired surrogate escape", StringComparison.Ordinal));
        reasons.ShouldContain(r => r.Contains("header ce_id contains U+0000", StringComparison.Ordinal));
        http.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await http.Content.ReadAsStringAsync()).ShouldContain("data.recipient.customerId contains U+0000");
        // The dead letter keeps the header's bytes (base64: jsonb refuses a NUL) and the record's value as it arrived.
        (await service.ScalarAsync<string>("select headers::text from dead_letters where reason like 'header ce_id%'")).ShouldContain("\"base64\": true");
        IntakeRunning(service).ShouldBeTrue();
        await WaitForCommittedAsync(service);
    }

    [Fact]
    public async Task SendTimePastYear9999_IsDeadLetteredWithTheReason()
    {
        await using var service = await ServiceUnderTest.StartAsync(Settings());
        await KcatAsync(service, [Envelope("late", "9999-12-30T00:00:00Z"), Envelope("ok", "2026-11-01T10:00:00Z")], "content-type=application/cloudevents+json");
        await service.WaitForCountAsync("select count(*) from dead_letters", 1);
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        (await ReasonsAsync(service)).ShouldHaveSingleItem().ShouldContain("the send time overflows: event time 9999-12-30T00:00:00Z + 14d lies past the year 9999");
        IntakeRunning(service).ShouldBeTrue();
    }

    /// <summary>
    /// A record PostgreSQL refuses for a reason the reader did not foresee — here a check constraint the test adds, as an
    /// operator's schema change or a future column limit would — used to fail the whole batch and stop the host, and a
    /// restarted host died on it again. Now the batch is split until that record is found.
    /// </summary>
    [Fact]
    public async Task RecordPostgresRefuses_IsFoundBySplittingTheBatch_DeadLetteredWithTheDatabaseReason_AndTheRestCommittedOnce()
    {
        await using var service = await ServiceUnderTest.StartAsync(Settings(), startHost: false);
        await RefusePoisonAsync(service);
        await service.StartHostAsync();
        var events = Enumerable.Range(0, 40).Select(i => BusinessEvents.Binary($"e-{i}", "order.delivered",
            BusinessEvents.OrderDelivered(i == 17 ? "poison" : $"{i}"), ServiceUnderTest.Start)).ToArray();
        // One partition, so the forty arrive in one batch together.
        await BusinessEvents.ProduceToAsync(service.Kafka.BootstrapServers, 0, events);

        await service.WaitForCountAsync("select count(*) from dead_letters", 1);
        await service.WaitForCountAsync("select count(*) from inbox", 39);
        var reason = (await ReasonsAsync(service)).ShouldHaveSingleItem();
        reason.ShouldContain("PostgreSQL refused the event /shop/orders e-17");
        reason.ShouldContain("test_refuses_poison");
        reason.ShouldContain("SQLSTATE 23514");
        (await service.ScalarAsync<long>("select \"offset\" from dead_letters")).ShouldBe(17);
        // Nothing of the refused event was written; everything else once.
        (await service.ScalarAsync<long>("select count(*) from inbox where event_id = 'e-17'")).ShouldBe(0);
        // Its one decision says it was dead-lettered (issue 22), and where.
        (await service.ScalarAsync<string>("select string_agg(outcome || ' ' || detail, '; ') from decisions where event_id = 'e-17'"))
            .ShouldStartWith($"dead_lettered dead-lettered {BusinessEvents.Topic}/");
        (await service.ScalarAsync<long>("select count(*) from invitations")).ShouldBe(39);
        (await service.ScalarAsync<long>("select count(*) from (select event_id from invitations group by event_id having count(*) > 1) d")).ShouldBe(0);
        // The dead letter holds the record as it arrived (read back from the broker: the consumer keeps no copy).
        (await service.ScalarAsync<bool>("select encode(payload, 'escape') like '%c-poison%' from dead_letters")).ShouldBeTrue();
        (await service.ScalarAsync<string>("select headers::text from dead_letters")).ShouldContain("{\"key\": \"ce_id\", \"value\": \"e-17\"}");
        (await service.ScalarAsync<string>("select encode(key, 'escape') from dead_letters")).ShouldBe("e-17");
        IntakeRunning(service).ShouldBeTrue();
        await WaitForCommittedAsync(service);
        (await service.Host!.Http.GetAsync("/healthz/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task EventsApi_EventPostgresRefuses_IsAnsweredNamingIt_AndNothingOfItIsWritten()
    {
        await using var service = await ServiceUnderTest.StartAsync(Settings(), startHost: false);
        await RefusePoisonAsync(service);
        await service.StartHostAsync();

        var single = await PostAsync(service, Envelope("alone", "2026-11-01T10:00:00Z", BusinessEvents.OrderDelivered("poison")));
        single.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        single.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await single.Content.ReadAsStringAsync()).ShouldContain("test_refuses_poison");

        var batch = await PostAsync(service, $"[{Envelope("a", "2026-11-01T10:00:00Z")},{Envelope("b", "2026-11-01T10:00:00Z", BusinessEvents.OrderDelivered("poison"))},{Envelope("c", "2026-11-01T10:00:00Z")}]", batch: true);
        batch.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        using var report = JsonDocument.Parse(await batch.Content.ReadAsStringAsync());
        report.RootElement.GetProperty("accepted").GetInt32().ShouldBe(2);
        var rejected = report.RootElement.GetProperty("rejected").EnumerateArray().ShouldHaveSingleItem();
        rejected.GetProperty("index").GetInt32().ShouldBe(1);
        rejected.GetProperty("reason").GetString().ShouldNotBeNull().ShouldContain("test_refuses_poison");

        (await service.ScalarAsync<long>("select count(*) from inbox")).ShouldBe(2);
        (await service.ScalarAsync<long>("select count(*) from inbox where event_id in ('alone', 'b')")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from decisions where event_id in ('alone', 'b') and outcome <> 'dead_lettered'")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from decisions where event_id in ('alone', 'b') and outcome = 'dead_lettered'")).ShouldBe(2);
        (await service.ScalarAsync<long>("select count(*) from dead_letters where topic = 'http'")).ShouldBe(2);
    }

    /// <summary>Makes PostgreSQL refuse any invitation for customer <c>c-poison</c>: a record only the database objects to.</summary>
    private static async Task RefusePoisonAsync(ServiceUnderTest service)
    {
        await service.MigrateAsync();
        await using var command = service.DataSource.CreateCommand(
            "alter table invitations add constraint test_refuses_poison check (customer_id is distinct from 'c-poison')");
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> ReasonsAsync(ServiceUnderTest service)
    {
        await using var command = service.DataSource.CreateCommand("select reason from dead_letters where topic <> 'http' order by id");
        await using var reader = await command.ExecuteReaderAsync();
        var reasons = new List<string>();
        while (await reader.ReadAsync())
            reasons.Add(reader.GetString(0));
        return reasons;
    }
}
