using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Faults;

/// <summary>
/// The PostgreSQL server stopped and started again while invitations are being sent. Sends the provider accepted are
/// recorded once the database is back; sends whose job died with the database are taken back by a later sweep once
/// their claim's lease has lapsed. Either way each due invitation goes out once. (Intake across a PostgreSQL outage:
/// <see cref="Pipeline.IntakeResilienceTests"/>.)
/// </summary>
public sealed class PostgresRestartTests
{
    [Fact]
    public async Task Dispatch_WhilePostgresRestarts_SendsEachDueInvitationOnce()
    {
        const int invitations = 300;
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?>
        {
            // Slow enough (50 emails/s in chunks of 5) that sends are in flight when the database goes.
            ["RateLimits:Email:PerSecond"] = "50",
            ["RateLimits:Email:Burst"] = "5",
            ["Dispatch:SendChunkSize"] = "5",
            ["Dispatch:ClaimBatchSize"] = "50",
            // A send the provider accepted is recorded by retrying for up to half the lease: 30 s outlasts the restart.
            ["Dispatch:ClaimLease"] = "00:01:00",
        });
        await service.PublishAsync([.. Enumerable.Range(0, invitations).Select(i => BusinessEvents.Binary(
            $"pg-{i}", "order.delivered", BusinessEvents.OrderDelivered($"pg{i}", $"pg{i}@example.com"), ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations", invitations);
        service.Clock.Advance(TimeSpan.FromDays(14));
        await Eventually.Until(() => service.ScalarAsync<long>("select count(*) from invitations where state = 'sent'"),
            n => n >= 60, TimeSpan.FromSeconds(60), "the first sends");

        PostgresServer.Shared.Stop();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        finally
        {
            PostgresServer.Shared.Start();
        }
        service.DataSource.Clear();

        // Let the jobs that outlived the outage finish, then let time pass beyond the lease so the sweep takes back
        // the claims of jobs that died with the database.
        long previous = -1, sent;
        while ((sent = await service.ScalarAsync<long>("select count(*) from invitations where state = 'sent'")) != previous)
        {
            previous = sent;
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        service.Clock.Advance(TimeSpan.FromSeconds(61));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", invitations, TimeSpan.FromSeconds(90));

        await Task.Delay(TimeSpan.FromSeconds(2)); // room for a late duplicate before counting
        var messages = await service.Smtp.WaitForMessagesAsync(invitations, TimeSpan.FromSeconds(10));
        messages.Count.ShouldBe(invitations);
        messages.Select(m => m.To.ToString()).Distinct().Count().ShouldBe(invitations);
        (await service.ScalarAsync<long>("select count(*) from invitations where state <> 'sent' or message_id is null")).ShouldBe(0);
        // The restart did land between a provider's acceptance and its record, the window this test is about.
        service.Logs.Lines.ShouldContain(line => line.Contains("accepted by the provider but the database is unavailable", StringComparison.Ordinal));
    }
}
