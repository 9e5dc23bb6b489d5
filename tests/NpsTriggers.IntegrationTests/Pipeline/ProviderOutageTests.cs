using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Pipeline;

/// <summary>A provider down for a stretch: sends wait, nothing is dropped, each goes out once after recovery.</summary>
public sealed class ProviderOutageTests
{
    [Fact]
    public async Task SmtpDown_SendsWaitWithBackoff_AndGoOutOnceAfterRecovery()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        await service.PublishAsync([.. Enumerable.Range(0, 5).Select(i =>
            BusinessEvents.Binary($"outage-{i}", "order.delivered", BusinessEvents.OrderDelivered($"O{i}", $"o{i}@example.com"), ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations", 5);

        await service.StopSmtpAsync();
        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'scheduled' and attempts = 1", 5);
        (await service.ScalarAsync<string>("select failure_reason from invitations limit 1")).ShouldContain("SMTP connection to 127.0.0.1");
        // Still down at the next attempts: they back off again, and none is given up or lost.
        service.Clock.Advance(TimeSpan.FromMinutes(1));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'scheduled' and attempts = 2", 5);

        await service.RestartSmtpAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the circuit's break duration, on the real clock
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 5);
        await service.WaitForSweepAsync(); // a duplicate would have gone out by now
        var sent = await service.Smtp.WaitForMessagesAsync(5, TimeSpan.FromSeconds(10));
        sent.Select(m => m.To.ToString()).Distinct().Count().ShouldBe(5);
        sent.Count.ShouldBe(5);
    }

    [Fact]
    public async Task SmtpDown_CircuitOpens_SendsFailFastWithoutLosingAny_AndGoOutOnceAfterRecovery()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        await service.PublishAsync([.. Enumerable.Range(0, 20).Select(i =>
            BusinessEvents.Binary($"circuit-{i}", "order.delivered", BusinessEvents.OrderDelivered($"C{i}", $"c{i}@example.com"), ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations", 20);

        await service.StopSmtpAsync();
        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'scheduled' and attempts = 1", 20);
        // The first failures open the circuit; the sends after them fail at once instead of each trying the dead server.
        (await service.ScalarAsync<long>("select count(*) from invitations where failure_reason like 'SMTP circuit is open%'")).ShouldBeGreaterThan(0);
        (await service.ScalarAsync<long>("select count(*) from invitations where failure_reason like 'SMTP connection to%'")).ShouldBeGreaterThan(0);

        await service.RestartSmtpAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the circuit's break duration, on the real clock
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 20);
        await service.WaitForSweepAsync(); // a duplicate would have gone out by now
        var sent = await service.Smtp.WaitForMessagesAsync(20, TimeSpan.FromSeconds(10));
        sent.Count.ShouldBe(20);
        sent.Select(m => m.To.ToString()).Distinct().Count().ShouldBe(20);
    }

    [Fact]
    public async Task TwilioFailing_CircuitOpens_CallsStop_AndEverySmsGoesOutOnceAfterRecovery()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile(Sms.SmsTests.Yaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(twilio.Settings));
        await service.PublishAsync([.. Enumerable.Range(0, 20).Select(i => BusinessEvents.Structured($"ticket-{i}", "ticket.closed",
            new { recipient = new { customerId = $"c{i}", phone = $"+49151123456{i:D2}" }, ticketId = $"T{i}" }, ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations", 20);

        for (var i = 0; i < 200; i++)
            twilio.FailNext(500, 20500, "Internal Server Error");
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'scheduled' and attempts = 1", 20);
        (await service.ScalarAsync<long>("select count(*) from invitations where failure_reason like '%circuit is now open%'")).ShouldBeGreaterThan(0);
        // Calls that met the open circuit never reached Twilio.
        twilio.Requests.ShouldBeLessThan(20);

        twilio.ClearFailures();
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the circuit's break duration, on the real clock
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 20);
        await service.WaitForSweepAsync(); // a duplicate would have gone out by now
        twilio.Messages.Select(m => m.To).Distinct().Count().ShouldBe(20);
        twilio.Messages.Count.ShouldBe(20);
    }
}
