using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Pipeline;

/// <summary>Timed sends: nothing in Hangfire per invitation, retries for transient failures, reasons for permanent ones.</summary>
public sealed class DispatchTests
{
    [Fact]
    public async Task Intake_OfManyEvents_CreatesRowsButNoHangfireJobs()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        var events = Enumerable.Range(0, 500)
            .Select(i => BusinessEvents.Binary($"bulk-{i}", "order.delivered", BusinessEvents.OrderDelivered($"{i}", $"c{i}@example.com"), ServiceUnderTest.Start))
            .ToArray();
        await service.PublishAsync(events);
        await service.WaitForCountAsync("select count(*) from invitations", 500);
        await service.WaitForSweepAsync(); // a sweep after the last invitation, and whatever it enqueued
        // Hangfire holds only the recurring sweep's runs, whatever the number pending.
        (await service.ScalarAsync<long>("select count(*) from hangfire.job where invocationdata::text not like '%DueInvitationsSweep%'")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from invitations where state = 'scheduled'")).ShouldBe(500);

        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 500, TimeSpan.FromSeconds(60));
        // One send job per chunk of 100 claimed invitations, not one per invitation.
        (await service.ScalarAsync<long>("select count(*) from hangfire.job where invocationdata::text like '%SendInvitationsJob%'")).ShouldBeLessThanOrEqualTo(10);
        (await service.Smtp.WaitForMessagesAsync(500, TimeSpan.FromSeconds(10))).Count.ShouldBe(500);
    }

    [Fact]
    public async Task Send_OneTransientSmtpRefusal_IsRetriedAtOnceAndSentOnce()
    {
        await using var service = await ServiceUnderTest.StartAsync(smtpTempFailFirst: 1);
        await service.PublishAsync(BusinessEvents.Binary("evt-quick", "order.delivered", BusinessEvents.OrderDelivered("41"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        service.Clock.Advance(TimeSpan.FromDays(14));
        // A 451 is an explicit refusal, so the "smtp" pipeline retries it within the same attempt.
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        (await service.ScalarAsync<int>("select attempts from invitations")).ShouldBe(1);
        (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Send_TransientSmtpFailureBeyondQuickRetries_IsRetriedLaterAndSentOnce()
    {
        // Three refusals outlast the pipeline's two quick retries: the invitation backs off.
        await using var service = await ServiceUnderTest.StartAsync(smtpTempFailFirst: 3);
        await service.PublishAsync(BusinessEvents.Binary("evt-retry", "order.delivered", BusinessEvents.OrderDelivered("42"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'scheduled' and attempts = 1", 1);
        (await service.ScalarAsync<string>("select failure_reason from invitations")).ShouldContain("451");

        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        (await service.ScalarAsync<int>("select attempts from invitations")).ShouldBe(2);
        (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Send_RejectedAddress_FailsWithTheReasonAndIsNotRetried()
    {
        await using var service = await ServiceUnderTest.StartAsync(smtpFailRecipients: "^nobody@");
        await service.PublishAsync(BusinessEvents.Binary("evt-bounce", "order.delivered", BusinessEvents.OrderDelivered("43", "nobody@example.com"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'failed' and failed_at is not null", 1);
        (await service.ScalarAsync<string>("select failure_reason from invitations")).ShouldContain("550");
        service.Clock.Advance(TimeSpan.FromDays(1));
        await service.WaitForSweepAsync();
        (await service.ScalarAsync<int>("select attempts from invitations")).ShouldBe(1);
        // The row keeps the server's answer; the log names the invitation and never the address.
        (await service.ScalarAsync<string>("select failure_reason from invitations")).ShouldContain("nobody@example.com");
        var logged = service.Logs.Lines.Where(l => l.Contains("failed: SMTP 550", StringComparison.Ordinal)).ShouldHaveSingleItem();
        logged.ShouldContain("[email]");
        service.Logs.Lines.ShouldNotContain(l => l.Contains("nobody@example.com", StringComparison.OrdinalIgnoreCase));
    }
}
