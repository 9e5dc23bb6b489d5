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
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 5);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var sent = await service.Smtp.WaitForMessagesAsync(5, TimeSpan.FromSeconds(10));
        sent.Select(m => m.To.ToString()).Distinct().Count().ShouldBe(5);
        sent.Count.ShouldBe(5);
    }
}
