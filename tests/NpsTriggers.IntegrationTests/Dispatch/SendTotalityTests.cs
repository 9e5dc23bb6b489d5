using Npgsql;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Dispatch;

/// <summary>
/// No send loops and no accepted send goes unrecorded: a claim taken back from a run that stopped counts as an attempt
/// and gives up at MaxAttempts, a host stopping mid-record still records what the provider accepted, and a send that
/// failed for good stops counting as a contact and releases what it throttled.
/// </summary>
public sealed class SendTotalityTests
{
    internal static object Order(string orderId, string customer, string email) => new
    {
        recipient = new { customerId = customer, email, name = "Anna", timeZone = "Europe/London" },
        orderId,
        product = "Trail shoes",
        amount = 89.9,
        country = "GB",
    };

    [Fact]
    public async Task Sweep_ClaimLapsingAtEveryRun_GivesUpAtMaxAttempts_InsteadOfSendingForever()
    {
        var manual = new Dictionary<string, string?>
        {
            ["Dispatch:SweepCron"] = ManualDispatch.NeverCron, ["Dispatch:ClaimLease"] = "00:00:30", ["Dispatch:MaxAttempts"] = "3",
        };
        await using var service = await ServiceUnderTest.StartAsync(manual);
        await service.PublishAsync(BusinessEvents.Binary("doomed", "order.delivered", BusinessEvents.OrderDelivered("D1"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        service.Clock.Advance(TimeSpan.FromDays(14));

        // Every run that takes the invitation dies before recording anything (here: never runs): its lease lapses.
        var claims = new List<int>();
        for (var sweep = 0; sweep < 6; sweep++)
        {
            claims.Add((await ManualDispatch.ClaimAsync(service)).Sum(c => c.Ids.Length));
            service.Clock.Advance(TimeSpan.FromSeconds(31));
        }
        claims.ShouldBe([1, 1, 1, 0, 0, 0]);
        (await service.ScalarAsync<string>("select state || ' after ' || attempts from invitations")).ShouldBe("failed after 3");
        (await service.ScalarAsync<string>("select failure_reason from invitations")).ShouldBe(
            "gave up after 3 attempts: the send run holding it stopped before recording a result (its claim lease ran out)"
            + " (before that: the send run holding it stopped before recording a result (its claim lease ran out))");
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).ShouldBeEmpty();
    }

    [Fact]
    public async Task PermanentFailure_StopsCountingAsAContact_AndReleasesTheSurveyItThrottled()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(
            rules.Settings(("Dispatch:SweepCron", ManualDispatch.NeverCron)), smtpFailRecipients: "^bounce@");
        // One person (one customer id), two orders; the first survey goes to an address the server refuses for good.
        await service.PublishAsync(
            BusinessEvents.Binary("first", "order.delivered", Order("A1", "c-one", "bounce@example.com"), ServiceUnderTest.Start),
            BusinessEvents.Binary("second", "order.delivered", Order("A2", "c-one", "good@example.com"), ServiceUnderTest.Start.AddMinutes(1)));
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'delivered'", 2);
        service.Clock.Advance(TimeSpan.FromDays(14) + TimeSpan.FromMinutes(2));

        // Both in one send job: the throttle lets the first through and holds the second back by it; then the first fails.
        var job = (await ManualDispatch.ClaimAsync(service)).ShouldHaveSingleItem();
        job.Ids.Length.ShouldBe(2);
        await ManualDispatch.RunAsync(service.Host!, job.Claim, job.Ids);
        (await service.ScalarAsync<string>("select state || ' ' || coalesce(contacted_at::text, 'no contact') from invitations where event_id = 'first' and rule = 'delivered'"))
            .ShouldBe("failed no contact");
        var firstId = await service.ScalarAsync<Guid>("select id from invitations where event_id = 'first' and rule = 'delivered'");
        (await service.ScalarAsync<string>("select detail from decisions where event_id = 'second' and outcome = 'released'"))
            .ShouldBe($"invitation {firstId}, which throttled this one, failed for good, so it was no contact; due again now");
        (await service.ScalarAsync<long>("select count(*) from decisions where event_id = 'second' and rule = 'delivered' and outcome = 'throttled'")).ShouldBe(1);

        var again = (await ManualDispatch.ClaimAsync(service)).ShouldHaveSingleItem();
        await ManualDispatch.RunAsync(service.Host!, again.Claim, again.Ids);
        (await service.ScalarAsync<string>("select state from invitations where event_id = 'second' and rule = 'delivered'")).ShouldBe("sent");
        (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).ShouldHaveSingleItem().To.Mailboxes.Single().Address.ShouldBe("good@example.com");
    }

    /// <summary>
    /// A rolling deploy stops the host while a send job records what the provider already accepted. The record used to
    /// run under Hangfire's shutdown token, so it was cancelled and the invitation went out again after its lease.
    /// The test holds the invitation's row locked so that the record is waiting when the stop comes.
    /// </summary>
    [Fact]
    public async Task AcceptedSend_HostStoppingWhileItIsRecorded_IsStillRecordedAsSent()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:NpsTriggers.Dispatch.Scheduling.SendRecorder"] = "Information",
        }, smtpAcceptDelayMs: 1500);
        await service.PublishAsync(BusinessEvents.Binary("deploy", "order.delivered", BusinessEvents.OrderDelivered("R1"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        var id = await service.ScalarAsync<Guid>("select id from invitations");
        service.Clock.Advance(TimeSpan.FromDays(14));

        // The server has the message and waits 1.5 s before its 250: lock the row, so that the record waits behind us.
        await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30));
        await using var locker = await service.DataSource.OpenConnectionAsync();
        await using var tx = await locker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("select 1 from invitations where id = @id for update", locker, tx))
        {
            lockRow.Parameters.AddWithValue("id", id);
            await lockRow.ExecuteScalarAsync();
        }
        await Eventually.Until(() => service.ScalarAsync<long>(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like '%state = ''sent''%'"),
            n => n == 1, TimeSpan.FromSeconds(30), "the send's record waiting for the row");

        var stopping = service.StopHostAsync();
        // Either the record notes the stop and carries on, or (before the fix) it is cancelled and stops waiting.
        await Eventually.Until(async () =>
                service.Logs.Lines.Any(l => l.Contains($"Shutting down while recording invitation {id}", StringComparison.Ordinal))
                || await service.ScalarAsync<long>("select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like '%state = ''sent''%'") == 0,
            done => done, TimeSpan.FromSeconds(30), "the stop reaching the job");
        await tx.RollbackAsync();
        await stopping;

        (await service.ScalarAsync<string>("select state from invitations")).ShouldBe("sent");
        (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.Zero)).Count.ShouldBe(1);
    }
}
