using System.Net;
using System.Text.Json;
using MimeKit;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Pipeline;

/// <summary>The whole path on real parts: Kafka event → timed email → one-click reply → NPS.</summary>
public sealed class EndToEndTests
{
    [Fact]
    public async Task OrderDelivered_AfterTheDelay_SendsOneEmailWhoseLinkRecordsTheReply()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        await service.PublishAsync(BusinessEvents.Binary("evt-1", "order.delivered", BusinessEvents.OrderDelivered("1234"), ServiceUnderTest.Start));

        await service.WaitForCountAsync("select count(*) from invitations where state = 'scheduled'", 1);
        var due = await service.ScalarAsync<DateTime>("select due_at from invitations");
        new DateTimeOffset(due, TimeSpan.Zero).ShouldBe(ServiceUnderTest.Start.AddDays(14));

        // A day before the delay ends nothing goes out, though the sweep runs every second.
        service.Clock.Advance(TimeSpan.FromDays(13));
        await service.WaitForSweepAsync();
        (await service.ScalarAsync<string>("select state from invitations")).ShouldBe("scheduled");
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).ShouldBeEmpty();

        service.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        var message = (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30))).ShouldHaveSingleItem();

        message.Subject.ShouldBe("Anna, how was order #1234?");
        message.To.Mailboxes.Single().Address.ShouldBe("anna@example.com");
        message.Headers[HeaderId.ListUnsubscribePost].ShouldBe("List-Unsubscribe=One-Click");
        message.Headers[HeaderId.ListUnsubscribe].ShouldStartWith($"<{service.Host!.BaseAddress}u/");
        var links = ScoreLinks(message, service.Host.BaseAddress);
        links.Count.ShouldBe(11);
        // The send is recorded after the server accepted the message, so the capture can see it first.
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        (await service.ScalarAsync<string>("select message_id from invitations")).ShouldBe(message.MessageId);

        var page = await service.Host.Http.GetAsync(links[9]);
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).ShouldContain("What is the main reason for your score?");
        (await ScoreClicks.ClickAsync(service.Host.Http, links[9])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var posted = await service.Host.Http.PostAsync(links[9], new FormUrlEncodedContent([new("comment", "Fast courier")]));
        posted.StatusCode.ShouldBe(HttpStatusCode.OK);

        (await service.ScalarAsync<string>("select comment from responses")).ShouldBe("Fast courier");
        (await service.ScalarAsync<string>("select attributes->>'product' from responses")).ShouldBe("Trail shoes");
        using var nps = JsonDocument.Parse(await service.Host.Ops.GetStringAsync("/api/nps?survey=delivery"));
        nps.RootElement.GetProperty("promoters").GetInt32().ShouldBe(1);
        nps.RootElement.GetProperty("responses").GetInt32().ShouldBe(1);
        nps.RootElement.GetProperty("nps").GetDouble().ShouldBe(100);
    }

    [Fact]
    public async Task SameEvent_DeliveredTwiceAndReplayedFromOffsetZero_GivesOneInvitationAndOneEmail()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        var order = BusinessEvents.OrderDelivered("77");
        await service.PublishAsync(
            BusinessEvents.Binary("evt-77", "order.delivered", order, ServiceUnderTest.Start),
            BusinessEvents.Binary("evt-77", "order.delivered", order, ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from inbox", 1);

        // Restart with the same group, then again as a new group that reads the topic from offset zero.
        await service.StopHostAsync();
        await service.PublishAsync(BusinessEvents.Binary("evt-77", "order.delivered", order, ServiceUnderTest.Start));
        await service.StartHostAsync();
        await service.StopHostAsync();
        await service.StartHostAsync(new Dictionary<string, string?> { ["Kafka:GroupId"] = "replay-from-zero" });
        await WaitForCommittedAsync(service, "replay-from-zero", expectedRecords: 3);

        (await service.ScalarAsync<long>("select count(*) from invitations")).ShouldBe(1);
        service.Clock.Advance(TimeSpan.FromDays(15));
        (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30))).Count.ShouldBe(1);
        await service.WaitForSweepAsync(); // a later sweep and its sends have run
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count.ShouldBe(1);
        (await service.ScalarAsync<long>("select count(*) from invitations where state = 'sent'")).ShouldBe(1);
    }

    [Fact]
    public async Task PoisonRecords_LandInDeadLettersWithReasons_WhileGoodEventsAroundThemAreProcessed()
    {
        using var skipped = new CounterTotal(NpsTriggers.Triggers.TriggersMetrics.MeterName, "nps.events.skipped");
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Kafka:MaxRecordBytes"] = "4096" });
        var good = BusinessEvents.OrderDelivered("1");
        var notJson = "{\"recipient\": oops"u8.ToArray();
        // Regression (found by ParserFuzzTests): invalid UTF-8 inside a JSON string threw on first read and stopped the consumer.
        byte[] badUtf8 = [.. "{\"recipient\":{\"email\":\"a"u8, 0xED, 0xA0, 0x80, .. "@example.com\"}}"u8];
        await service.PublishAsync(
            BusinessEvents.Binary("good-1", "order.delivered", good, ServiceUnderTest.Start),
            BusinessEvents.Raw(notJson, ("ce_specversion", "1.0"), ("ce_id", "bad-json"), ("ce_source", "/shop"), ("ce_type", "order.delivered")),
            BusinessEvents.Raw(JsonSerializer.SerializeToUtf8Bytes(good), ("ce_specversion", "1.0"), ("ce_source", "/shop"), ("ce_type", "order.delivered")),
            BusinessEvents.Raw(badUtf8, ("ce_specversion", "1.0"), ("ce_id", "bad-utf8"), ("ce_source", "/shop"), ("ce_type", "order.delivered")),
            BusinessEvents.Binary("no-contact", "order.delivered", new { recipient = new { name = "Nobody" }, orderId = "9" }, ServiceUnderTest.Start),
            BusinessEvents.Binary("too-big", "order.delivered", new { recipient = new { email = "x@example.com" }, blob = new string('x', 8000) }, ServiceUnderTest.Start),
            BusinessEvents.Binary("unknown-1", "cart.abandoned", good, ServiceUnderTest.Start),
            BusinessEvents.Structured("good-2", "ticket.closed", new { recipient = new { email = "bo@example.com", name = "Bo" }, ticketId = "T-5", agent = "ada" }, ServiceUnderTest.Start));

        await service.WaitForCountAsync("select count(*) from dead_letters", 5);
        await service.WaitForCountAsync("select count(*) from invitations", 2);
        (await service.ScalarAsync<long>("select count(*) from inbox")).ShouldBe(2);

        var reasons = new Dictionary<string, string>();
        await using (var command = service.DataSource.CreateCommand("select coalesce(headers::text, ''), reason, payload, topic, partition, \"offset\" from dead_letters"))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
            {
                reader.GetString(3).ShouldBe(BusinessEvents.Topic);
                reader.GetInt64(5).ShouldBeGreaterThanOrEqualTo(0);
                var id = JsonDocument.Parse(reader.GetString(0)).RootElement.EnumerateArray()
                    .FirstOrDefault(h => h.GetProperty("key").GetString() == "ce_id") is { ValueKind: JsonValueKind.Object } h
                    ? h.GetProperty("value").GetString()! : "(none)";
                reasons[id] = reader.GetString(1);
                if (id == "bad-json")
                    ((byte[])reader.GetValue(2)).ShouldBe(notJson);
            }
        reasons.Keys.ShouldBe(["bad-json", "bad-utf8", "(none)", "no-contact", "too-big"], ignoreOrder: true);
        reasons["bad-utf8"].ShouldBe("the value is not valid JSON: invalid UTF-8 at byte 24");
        reasons["bad-json"].ShouldContain("JSON", Case.Insensitive);
        reasons["(none)"].ShouldContain("id");
        reasons["no-contact"].ShouldContain("contact", Case.Insensitive);
        reasons["too-big"].ShouldContain("limit", Case.Insensitive);

        // The unknown type is neither an invitation nor a dead letter, only counted.
        (await service.ScalarAsync<long>("select count(*) from invitations where event_id = 'unknown-1'")).ShouldBe(0);
        skipped.Value.ShouldBe(1);
    }

    internal static List<Uri> ScoreLinks(MimeMessage message, Uri baseAddress) =>
        System.Text.RegularExpressions.Regex.Matches(message.TextBody ?? "", $@"{System.Text.RegularExpressions.Regex.Escape(baseAddress.ToString())}s/[A-Za-z0-9_-]+")
            .Select(m => new Uri(m.Value)).Distinct().ToList();

    private static async Task WaitForCommittedAsync(ServiceUnderTest service, string groupId, long expectedRecords)
    {
        using var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = service.Kafka.BootstrapServers }).Build();
        await Eventually.Until(async () =>
        {
            var result = await admin.ListConsumerGroupOffsetsAsync([new Confluent.Kafka.ConsumerGroupTopicPartitions(groupId,
                [.. Enumerable.Range(0, 3).Select(p => new Confluent.Kafka.TopicPartition(BusinessEvents.Topic, p))])]);
            return result.Sum(g => g.Partitions.Where(p => p.Offset.Value > 0).Sum(p => p.Offset.Value));
        }, committed => committed >= expectedRecords, TimeSpan.FromSeconds(30), $"offsets committed by {groupId}");
    }
}
