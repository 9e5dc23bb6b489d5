using System.Net;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Loop;

/// <summary>The transactional outbox against the mock Kafka cluster: response changes become CloudEvents, once each.</summary>
public sealed class OutboxPublisherTests
{
    internal static readonly Dictionary<string, string?> FastOutbox = new()
    {
        ["Outbox:PollInterval"] = "00:00:00.050",
        ["Outbox:DeliveryTimeout"] = "00:00:02",
        ["Outbox:Lease"] = "00:00:10",
        ["Outbox:MaxBackoff"] = "00:00:00.500",
    };

    /// <summary>The service on <paramref name="settings"/>, with the events' topic and one sent survey per order id (<see cref="SentSurveys"/>).</summary>
    internal static async Task<(ServiceUnderTest Service, Dictionary<string, List<Uri>> Links)> StartWithSentAsync(
        IDictionary<string, string?> settings, params string[] orderIds)
    {
        var service = await ServiceUnderTest.StartAsync(settings);
        service.Kafka.CreateTopic(ResponseEvents.Topic, 3);
        return (service, await SentSurveys.SendAsync(service, orderIds));
    }

    [Fact]
    public async Task Readiness_AWritingTransactionHoldingTheStreamBackFiveMinutes_IsDegraded_AndTheEventGoesOutWhenItEnds()
    {
        var (service, links) = await StartWithSentAsync(FastOutbox, "H1");
        await using var _ = service;
        var http = service.Host!.Http;
        await using var hold = await ResponseEvents.HoldStreamAsync(service);
        (await ScoreClicks.ClickAsync(http, links["H1"][8])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await http.GetStringAsync("/healthz/ready")).ShouldContain("\"outbox\":{\"status\":\"Healthy\"");

        service.Clock.Advance(OutboxHealthCheck.StreamStalledAfter + TimeSpan.FromMinutes(1));
        (await http.GetStringAsync("/healthz/ready")).ShouldContain("\"outbox\":{\"status\":\"Degraded\"");
        (await service.ScalarAsync<long>("select count(*) from response_events_waiting")).ShouldBe(1);
        (await service.ScalarAsync<long>("select count(*) from outbox")).ShouldBe(0, "a held stream is not a failure: nothing is parked");

        await hold.ReleaseAsync();
        await service.WaitForCountAsync(ResponseEvents.PublishedSql, 1, TimeSpan.FromSeconds(30));
        (await http.GetStringAsync("/healthz/ready")).ShouldContain("\"outbox\":{\"status\":\"Healthy\"");
        var invitation = await SentSurveys.InvitationIdAsync(service, "H1");
        ResponseEvents.ReadAll(service.Kafka.BootstrapServers, atLeast: 1, quiet: TimeSpan.FromSeconds(2))
            .Select(r => r.Event.GetProperty("id").GetString()).ShouldBe([$"{invitation}:1"]);
    }

    [Fact]
    public async Task Publish_AnEventTheBrokerRefuses_IsParkedAsAnOutboxRow_AndTheStreamGoesOnWithoutIt()
    {
        await using var service = await ServiceUnderTest.StartAsync(FastOutbox);
        service.Kafka.CreateTopic(ResponseEvents.Topic, 3);
        // Two events appended in one transaction, so one batch reads both: one larger than the producer allows
        // (message.max.bytes, 1 MB by default), and an ordinary one after it.
        var (refused, ordinary) = (new Guid("00000000-0000-0000-0000-0000000000a1"), new Guid("00000000-0000-0000-0000-0000000000a2"));
        await using (var append = service.DataSource.CreateCommand("""
            insert into response_events (invitation_id, version, payload, created_at) values
                (@refused, 1, jsonb_build_object('invitationId', @refused::text, 'comment', repeat('x', 1200000)), clock_timestamp()),
                (@ordinary, 1, jsonb_build_object('invitationId', @ordinary::text), clock_timestamp())
            """))
        {
            append.Parameters.AddWithValue("refused", refused);
            append.Parameters.AddWithValue("ordinary", ordinary);
            await append.ExecuteNonQueryAsync();
        }

        var records = ResponseEvents.ReadAll(service.Kafka.BootstrapServers, atLeast: 1, quiet: TimeSpan.FromSeconds(3));
        records.Select(r => r.Event.GetProperty("id").GetString()).ShouldBe([$"{ordinary}:1"]);
        // The refused one waits as an outbox row with the producer's reason; the stream went past both.
        var parked = await Eventually.Until(() => service.ScalarAsync<string>(
                "select coalesce(string_agg(event_id || ' ' || state || ' ' || last_error, '|'), '') from outbox where destination = 'kafka'"),
            rows => rows.Length > 0, TimeSpan.FromSeconds(30), "the parked row");
        parked.ShouldStartWith($"{refused}:1 pending ");
        parked.ShouldContain("too large", Case.Insensitive);
        (await service.ScalarAsync<long>("select count(*) from response_events_waiting")).ShouldBe(0);
    }

    [Fact]
    public async Task Publish_AnEventThatCannotBeBuilt_HoldsTheStreamAndIsLogged_TheHostKeepsRunning_AndTheStreamResumesWhenItIsGone()
    {
        var (service, links) = await StartWithSentAsync(FastOutbox, "K1");
        await using var _ = service;
        var http = service.Host!.Http;
        // A row of the log without a stored payload whose response does not exist: only a manual delete can make one.
        var orphan = new Guid("00000000-0000-0000-0000-0000000000b1");
        await service.ExecuteAsync("""
            insert into response_events (invitation_id, version, score, updated_at, created_at)
            values (@id, 1, 5, clock_timestamp(), clock_timestamp())
            """, ("id", orphan));
        (await ScoreClicks.ClickAsync(http, links["K1"][9])).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await Eventually.Until(() => Task.FromResult(service.Logs.Lines.Count(l => l.Contains($"Response event {orphan}:1 has no stored payload", StringComparison.Ordinal))),
            n => n >= 2, TimeSpan.FromSeconds(30), "two failed rounds logged, naming the event");
        (await service.ScalarAsync<long>("select count(*) from response_events_waiting")).ShouldBe(2, "nothing moved past the event");
        (await http.GetAsync("/healthz/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ScoreClicks.ClickAsync(http, links["K1"][3])).StatusCode.ShouldBe(HttpStatusCode.NoContent, "replies are still recorded");

        await service.ExecuteAsync("delete from response_events where invitation_id = @id", ("id", orphan));
        var invitation = await SentSurveys.InvitationIdAsync(service, "K1");
        ResponseEvents.ReadAll(service.Kafka.BootstrapServers, atLeast: 2, quiet: TimeSpan.FromSeconds(2))
            .Select(r => r.Event.GetProperty("id").GetString()).Order(StringComparer.Ordinal).ShouldBe([$"{invitation}:1", $"{invitation}:2"]);
    }

    [Fact]
    public async Task Publish_KafkaDownWhileRepliesArrive_PublishesEveryChangeOnceAfterItReturns()
    {
        var counted = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == NpsTriggers.Ingest.Loop.OutboxMetrics.MeterName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var labels = new Dictionary<string, object?>();
            foreach (var tag in tags)
                labels[tag.Key] = tag.Value;
            counted.AddOrUpdate($"{labels["destination"]}/{labels["outcome"]}", value, (_, total) => total + value);
        });
        listener.Start();
        var (service, links) = await StartWithSentAsync(FastOutbox, "A1", "B2", "C3");
        await using var _ = service;
        var http = service.Host!.Http;

        service.Kafka.SetBrokerDown(-1);
        // A: score 3, the same click again (no change), then a comment: two changes.
        (await ScoreClicks.ClickAsync(http, links["A1"][3])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await ScoreClicks.ClickAsync(http, links["A1"][3])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await http.PostAsync(links["A1"][3], new FormUrlEncodedContent([new("comment", "Late, box crushed")]))).StatusCode.ShouldBe(HttpStatusCode.OK);
        // B: 9, then changed to 6: two changes. C: 7: one change.
        (await ScoreClicks.ClickAsync(http, links["B2"][9])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await ScoreClicks.ClickAsync(http, links["B2"][6])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await ScoreClicks.ClickAsync(http, links["C3"][7])).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(5);
        // The publisher tried and failed on the delivery timeout. At first it holds the stream: the events stay behind its
        // cursor, in order, and no outbox row is written.
        await Eventually.Until(() => Task.FromResult(counted.GetValueOrDefault("kafka/failed")), n => n >= 1, TimeSpan.FromSeconds(30), "a failed round");
        (await service.ScalarAsync<long>("select count(*) from outbox")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from response_events_waiting")).ShouldBeGreaterThan(0);
        // After OutboxPublisher.StalledRoundsBeforeParking rounds with no ack at all it parks them as outbox rows, which
        // retry on their own with backoff and keep their reason.
        await service.WaitForCountAsync(
            "select count(*) from outbox where destination = 'kafka' and last_error is not null and state = 'pending'", 5, TimeSpan.FromSeconds(30));
        (await service.ScalarAsync<long>("select count(*) from response_events_waiting")).ShouldBe(0);
        (await service.ScalarAsync<long>(ResponseEvents.PublishedSql)).ShouldBe(0);
        await Eventually.Until(() => http.GetStringAsync("/healthz/ready"), body => body.Contains("\"outbox\":{\"status\":\"Degraded\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "readiness reports the outbox as degraded");

        service.Kafka.SetBrokerUp(-1);
        await service.WaitForCountAsync(ResponseEvents.PublishedSql, 5, TimeSpan.FromSeconds(60));
        (await service.ScalarAsync<long>("select count(*) from outbox where state = 'delivered'")).ShouldBe(5);

        (await http.GetStringAsync("/healthz/ready")).ShouldContain("\"outbox\":{\"status\":\"Healthy\"");

        counted["kafka/delivered"].ShouldBe(5);
        counted["kafka/failed"].ShouldBeGreaterThanOrEqualTo(1);

        var records = ResponseEvents.ReadAll(service.Kafka.BootstrapServers, atLeast: 5, quiet: TimeSpan.FromSeconds(3));
        var a = await SentSurveys.InvitationIdAsync(service, "A1");
        var b = await SentSurveys.InvitationIdAsync(service, "B2");
        var c = await SentSurveys.InvitationIdAsync(service, "C3");
        records.Select(r => r.Event.GetProperty("id").GetString()).Order().ShouldBe(
            new[] { $"{a}:1", $"{a}:2", $"{b}:1", $"{b}:2", $"{c}:1" }.Order());
        var schema = await NJsonSchema.JsonSchema.FromFileAsync(RepoRoot.Combine("docs", "schemas", "response-recorded.schema.json"));
        foreach (var (key, contentType, cloudEvent) in records)
        {
            schema.Validate(cloudEvent.GetRawText()).ShouldBeEmpty();
            contentType.ShouldStartWith("application/cloudevents+json");
            cloudEvent.GetProperty("specversion").GetString().ShouldBe("1.0");
            cloudEvent.GetProperty("type").GetString().ShouldBe("nps.response.recorded");
            cloudEvent.GetProperty("source").GetString().ShouldBe("/nps-triggers/responses");
            key.ShouldBe(cloudEvent.GetProperty("subject").GetString());
            cloudEvent.GetProperty("data").GetProperty("invitationId").GetString().ShouldBe(key);
            cloudEvent.GetProperty("data").GetProperty("survey").GetString().ShouldBe("delivery");
        }
        var data = records.ToDictionary(r => r.Event.GetProperty("id").GetString()!, r => r.Event.GetProperty("data"));
        data[$"{a}:1"].GetProperty("score").GetInt32().ShouldBe(3);
        data[$"{a}:1"].GetProperty("comment").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        data[$"{a}:2"].GetProperty("comment").GetString().ShouldBe("Late, box crushed");
        data[$"{a}:2"].GetProperty("category").GetString().ShouldBe("detractor");
        data[$"{b}:1"].GetProperty("score").GetInt32().ShouldBe(9);
        data[$"{b}:1"].GetProperty("category").GetString().ShouldBe("promoter");
        data[$"{b}:2"].GetProperty("score").GetInt32().ShouldBe(6);
        data[$"{b}:2"].GetProperty("version").GetInt32().ShouldBe(2);
        data[$"{c}:1"].GetProperty("category").GetString().ShouldBe("passive");
        data[$"{c}:1"].GetProperty("metadata").GetProperty("orderId").GetString().ShouldBe("C3");
        data[$"{c}:1"].GetProperty("customerId").GetString().ShouldBe("c-C3");
    }
}
