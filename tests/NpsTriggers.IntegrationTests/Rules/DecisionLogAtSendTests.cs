using NpsTriggers.IntegrationTests.Dispatch;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Rules;

/// <summary>
/// Issue 22, "Every outcome explained": the two send-time outcomes <see cref="DecisionLogTests"/> leaves to others, read
/// back from <c>/api/decisions</c> word for word: a survey held back by the recontact throttle when it is sent (not when
/// its event arrived), and a send given up after <c>Dispatch:MaxAttempts</c> transient refusals.
/// </summary>
public sealed class DecisionLogAtSendTests
{
    [Fact]
    public async Task ThrottledAtSend_NamesTheInvitationThatContactedThePersonFirst_AndUntilWhen()
    {
        // RulesFile.Standard: a global recontact period of 30 days and the default per-survey one of 90 days (the longer
        // names the hold); both orders are scheduled (neither has contacted the person yet when the second arrives), so
        // only the send can hold the second back.
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(("Dispatch:SweepCron", ManualDispatch.NeverCron)));
        await service.PublishAsync(
            BusinessEvents.Binary("first", "order.delivered", SendTotalityTests.Order("A1", "c-one", "anna@example.com"), ServiceUnderTest.Start),
            BusinessEvents.Binary("second", "order.delivered", SendTotalityTests.Order("A2", "c-one", "anna@example.com"), ServiceUnderTest.Start.AddMinutes(1)));
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'delivered'", 2);
        service.Clock.Advance(TimeSpan.FromDays(14) + TimeSpan.FromMinutes(2));

        var job = (await ManualDispatch.ClaimAsync(service)).ShouldHaveSingleItem();
        await ManualDispatch.RunAsync(service.Host!, job.Claim, job.Ids);

        var firstId = await service.ScalarAsync<Guid>("select id from invitations where event_id = 'first' and rule = 'delivered'");
        var contactedAt = await service.ScalarAsync<DateTime>("select contacted_at from invitations where event_id = 'first' and rule = 'delivered'");
        var second = (await DecisionLogTests.DecisionsAsync(service, "event=second")).Where(d => d.Rule == "delivered").ToList();
        second.Select(d => d.Outcome).ShouldBe(["throttled", "scheduled"]);
        second[0].Detail.ShouldBe(
            $"throttled by the survey 'delivery' (90 days) recontact period: invitation {firstId} (survey 'delivery') contacted this person at {DecisionLogTests.Utc(contactedAt)}; " +
            $"no survey until {DecisionLogTests.Utc(contactedAt.AddDays(90))}");
        (await DecisionLogTests.DecisionsAsync(service, "event=first")).Where(d => d.Rule == "delivered").Select(d => d.Outcome).ShouldBe(["sent", "scheduled"]);
    }

    [Fact]
    public async Task GivenUpAfterMaxAttempts_NamesTheAttemptsAndTheProvidersLastAnswer()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile("""
            version: 1
            surveys:
              support: { subject: 'Hi', question: How likely are you to recommend Acme support? }
            rules:
              - { name: ticket-sms, on: ticket.closed, survey: support, channel: sms, delay: 1h, reminders: { count: 0 } }
            """);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings([.. twilio.Settings, ("Dispatch:MaxAttempts", "2")]));
        for (var i = 0; i < 50; i++)
            twilio.FailNext(500, 20500, "Internal Server Error");
        var ticket = new { recipient = new { customerId = "c-t9", phone = "+4915112340009" }, ticketId = "T-9" };
        await service.PublishAsync(BusinessEvents.Structured("t-9", "ticket.closed", ticket, service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 't-9'", 1);

        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 't-9' and state = 'scheduled' and attempts = 1", 1);
        var firstReason = await service.ScalarAsync<string>("select failure_reason from invitations where event_id = 't-9'");
        var retryAt = await service.ScalarAsync<DateTime>("select due_at from invitations where event_id = 't-9'");

        service.Clock.Advance(retryAt - service.Clock.GetUtcNow().UtcDateTime + TimeSpan.FromSeconds(1));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 't-9' and state = 'failed'", 1);
        var lastReason = await service.ScalarAsync<string>("select failure_reason from invitations where event_id = 't-9'");
        lastReason.ShouldContain("Twilio 500");

        var decisions = await DecisionLogTests.DecisionsAsync(service, "phone=%2B4915112340009");
        decisions.Select(d => d.Outcome).ShouldBe(["failed", "retrying", "scheduled"]);
        decisions[1].Detail.ShouldBe($"sms attempt 1 of 2 failed: {firstReason}; due again at {DecisionLogTests.Utc(retryAt)}");
        decisions[0].Detail.ShouldBe($"sms failed, given up after 2 attempts: {lastReason}");
        twilio.Messages.ShouldBeEmpty();
    }
}
