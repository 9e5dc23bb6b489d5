using System.Net;
using NpsTriggers.Core.Invitations;
using NpsTriggers.IntegrationTests.Sms;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Faults;

/// <summary>
/// The PostgreSQL server stopped and started again while invitations are being sent. Sends the provider accepted are
/// recorded once the database is back; sends whose job died with the database are taken back by a later sweep once
/// their claim's lease has lapsed. Either way each due invitation goes out once. Twilio's webhooks during the
/// restart get a 5xx, and Twilio's retries after it are recorded once. (Intake across a PostgreSQL outage:
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
        }, smtpAcceptDelayMs: 200); // each SMTP call takes 200 ms, so calls are in flight when the database stops and end during the outage
        await service.PublishAsync([.. Enumerable.Range(0, invitations).Select(i => BusinessEvents.Binary(
            $"pg-{i}", "order.delivered", BusinessEvents.OrderDelivered($"pg{i}", $"pg{i}@example.com"), ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations", invitations);
        service.Clock.Advance(TimeSpan.FromDays(14));
        await Eventually.Until(() => service.ScalarAsync<long>("select count(*) from invitations where state = 'sent'"),
            n => n >= 60, TimeSpan.FromSeconds(60), "the first sends");

        PostgresServer.Shared.Stop();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3)); // the outage's length: the input of this test
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
        try
        {
            await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", invitations, TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException e)
        {
            // Say where the rest are: the states, reasons and times a stuck invitation is left with.
            var states = await service.ScalarAsync<string>(
                "select string_agg(format('%s x%s (%s, due %s, claimed until %s, attempts %s)', state, n, reason, due, claimed, attempts), '; ') " +
                "from (select state, count(*) n, max(failure_reason) reason, max(due_at) due, max(claimed_until) claimed, max(attempts) attempts " +
                "from invitations where state <> 'sent' group by state) s");
            throw new TimeoutException($"{e.Message}; not sent: {states}; test clock {service.Clock.GetUtcNow():O}", e);
        }

        // A late duplicate would have gone out by now. A job whose worker lost its database connection mid-job stays in
        // Hangfire's queue as fetched and is only left out once that fetch is a minute old (WaitForSweepAsync), so the
        // wait outlasts a minute from the outage: with calls in flight, every send can be recorded well inside it.
        await service.WaitForSweepAsync(TimeSpan.FromSeconds(80));
        var messages = await service.Smtp.WaitForMessagesAsync(invitations, TimeSpan.FromSeconds(10));
        messages.Count.ShouldBe(invitations);
        messages.Select(m => m.To.ToString()).Distinct().Count().ShouldBe(invitations);
        (await service.ScalarAsync<long>("select count(*) from invitations where state <> 'sent' or message_id is null")).ShouldBe(0);
        // The restart did land between a provider's acceptance and its record, the window this test is about.
        service.Logs.Lines.ShouldContain(line => line.Contains("accepted by the provider but the database is unavailable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TwilioWebhooks_WhilePostgresRestarts_FailThenEachReplyAndStatusIsRecordedOnce()
    {
        var (service, twilio, rules) = await SmsTests.StartAsync();
        await using var _ = service;
        await using var __ = twilio;
        using var ___ = rules;
        var sent = new List<TwilioStandIn.Message>();
        for (var i = 0; i < 8; i++)
            sent.Add(await SmsTests.SendOneAsync(service, twilio, $"+4479111234{i:D2}", $"PG-{i}"));
        var inbound = new Uri(service.Host!.BaseAddress, "/twilio/inbound");
        string Reply(int i) => $"{i + 2} courier was {(i % 2 == 0 ? "fast" : "late")}";

        PostgresServer.Shared.Stop();
        try
        {
            // Replies and delivery reports for the first half arrive while the database is down: each gets a 5xx, which
            // tells Twilio the webhook failed (its retry comes below), and nothing half-done is left behind.
            for (var i = 0; i < 4; i++)
            {
                var reply = await twilio.SendInboundAsync(inbound, sent[i].To, Reply(i));
                ((int)reply.StatusCode).ShouldBeGreaterThanOrEqualTo(500, $"reply {i} during the outage");
                var status = await twilio.SendStatusAsync(sent[i], "delivered");
                ((int)status.StatusCode).ShouldBeGreaterThanOrEqualTo(500, $"status {i} during the outage");
            }
        }
        finally
        {
            PostgresServer.Shared.Start();
        }
        service.DataSource.Clear();

        // Twilio retries the failed ones; the second half arrives for the first time; two of the first half arrive a third
        // time (a retry of a request whose answer was lost). Each reply is a score with its reason, recorded once.
        for (var i = 0; i < 8; i++)
        {
            (await twilio.SendInboundAsync(inbound, sent[i].To, Reply(i))).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await twilio.SendStatusAsync(sent[i], "delivered")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        for (var i = 0; i < 2; i++)
        {
            (await twilio.SendInboundAsync(inbound, sent[i].To, Reply(i))).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await twilio.SendStatusAsync(sent[i], "delivered")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        for (var i = 0; i < 8; i++)
        {
            var id = await service.ScalarAsync<string>("select id::text from invitations where event_id = @e", ("e", $"closed-PG-{i}"));
            (await service.ScalarAsync<string>($"select concat_ws('|', {InvitationState.EffectiveSql()}, delivery_status, awaiting_comment) from invitations where id = @id::uuid",
                ("id", id))).ShouldBe("answered|delivered|f");
            // Version 1 the score, version 2 the reason; the repeats changed nothing, so two events and no more.
            (await service.ScalarAsync<string>("select concat_ws('|', score, comment, version) from responses where invitation_id = @id::uuid",
                ("id", id))).ShouldBe($"{i + 2}|courier was {(i % 2 == 0 ? "fast" : "late")}|2");
            (await service.ScalarAsync<long>("select count(*) from response_events where invitation_id = @id::uuid", ("id", id))).ShouldBe(2);
        }
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(8);
        (await service.ScalarAsync<long>("select count(*) from follow_up_tasks")).ShouldBe(8);
    }
}
