using System.Diagnostics;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.IntegrationTests.Sms;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Dispatch;

/// <summary>
/// Issue 21: providers that answer in a hundred milliseconds or more, and many calls in flight per host. Every
/// invitation still goes out once and is recorded with the provider's id, more calls are in flight than there are
/// workers, never more than the configured bound, and the shared rate limit still holds.
/// </summary>
public sealed class InFlightSendsTests
{
    private static object Ticket(string phone, string ticket) =>
        new { recipient = new { customerId = "c-" + ticket, phone, name = "Bo", locale = "en-GB" }, ticketId = ticket };

    [Fact]
    public async Task SlowTwilio_ManyCallsInFlight_EachSmsSentOnceWithinTheBoundAndTheRate()
    {
        const int count = 400, maxInFlight = 40, perSecond = 120, burst = 10;
        await using var twilio = await TwilioStandIn.StartAsync(latency: TimeSpan.FromMilliseconds(150), jitter: TimeSpan.FromMilliseconds(50));
        using var rules = new RulesFile(SmsTests.Yaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings([
            .. twilio.Settings,
            ("Sms:MaxInFlight", $"{maxInFlight}"), ("RateLimits:Sms:PerSecond", $"{perSecond}"), ("RateLimits:Sms:Burst", $"{burst}")]));
        // Numbers from libphonenumber's German mobile range, one per ticket.
        var phones = Enumerable.Range(0, count).Select(i => $"+491511{i:D7}").ToArray();
        await service.PublishAsync([.. phones.Select((phone, i) =>
            BusinessEvents.Structured($"closed-F-{i}", "ticket.closed", Ticket(phone, $"F-{i}"), service.Clock.GetUtcNow()))]);
        await service.WaitForCountAsync("select count(*) from invitations", count);

        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", count, TimeSpan.FromSeconds(90));
        await service.WaitForSweepAsync();

        // Each number texted once, and each invitation recorded with the sid Twilio gave its message.
        var messages = twilio.Messages.ToArray();
        messages.Select(m => m.To).Order(StringComparer.Ordinal).ShouldBe(phones);
        var recorded = await SentAsync(service, "phone");
        recorded.Count.ShouldBe(count);
        foreach (var message in messages)
            recorded[message.To].ShouldBe(message.Sid);

        // More calls in flight than Hangfire workers (the sequential design's ceiling), never more than the bound.
        twilio.MaxConcurrent.ShouldBeGreaterThan(8);
        twilio.MaxConcurrent.ShouldBeLessThanOrEqualTo(maxInFlight);
        // The bucket lets at most burst + rate through in any second. Requests arrive a little after their tokens were
        // drawn, and a loaded machine can bunch them, so the check allows a quarter second of that skew.
        MaxInAnySecond([.. messages.Select(m => m.ReceivedAt)]).ShouldBeLessThanOrEqualTo((int)(burst + perSecond * 1.25));
    }

    [Fact]
    public async Task SlowSmtpRelay_ManyConnectionsInFlight_EachEmailSentOnceWithinTheBound_Pipelined()
    {
        const int count = 200, maxConnections = 12;
        await using var service = await ServiceUnderTest.StartAsync(
            new Dictionary<string, string?> { ["Smtp:MaxConnections"] = $"{maxConnections}" },
            smtpLatency: TimeSpan.FromMilliseconds(100), smtpJitter: TimeSpan.FromMilliseconds(30));
        await service.PublishAsync([.. Enumerable.Range(0, count).Select(i =>
            BusinessEvents.Binary($"inflight-{i}", "order.delivered", BusinessEvents.OrderDelivered($"IF{i}", $"if{i}@example.com"), ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations", count);

        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", count, TimeSpan.FromSeconds(90));
        await service.WaitForSweepAsync();

        var received = await service.Smtp.WaitForMessagesAsync(count, TimeSpan.FromSeconds(10));
        received.Select(m => m.To.Mailboxes.Single().Address).Order(StringComparer.Ordinal)
            .ShouldBe(Enumerable.Range(0, count).Select(i => $"if{i}@example.com").Order(StringComparer.Ordinal));
        var recorded = await SentAsync(service, "email");
        foreach (var message in received)
            recorded[message.To.Mailboxes.Single().Address].ShouldBe(message.MessageId);

        var stats = service.Smtp.Stats();
        stats.MaxOpen.ShouldBeGreaterThan(8);
        stats.MaxOpen.ShouldBeLessThanOrEqualTo(maxConnections);
        // aiosmtpd offers PIPELINING: MailKit sent RCPT TO without waiting for MAIL FROM's reply, every time.
        stats.PipelinedMail.ShouldBe(stats.Mail);
    }

    /// <summary>The address (<paramref name="column"/>) and provider message id of every sent invitation.</summary>
    private static async Task<Dictionary<string, string>> SentAsync(ServiceUnderTest service, string column)
    {
        var sent = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = service.DataSource.CreateCommand($"select {column}, message_id from invitations where state = 'sent'");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            sent.Add(reader.GetString(0), reader.GetString(1));
        return sent;
    }

    private static int MaxInAnySecond(long[] timestamps)
    {
        Array.Sort(timestamps);
        var max = 0;
        for (int first = 0, last = 0; first < timestamps.Length; first++)
        {
            while (last < timestamps.Length && Stopwatch.GetElapsedTime(timestamps[first], timestamps[last]) < TimeSpan.FromSeconds(1))
                last++;
            max = Math.Max(max, last - first);
        }
        return max;
    }
}
