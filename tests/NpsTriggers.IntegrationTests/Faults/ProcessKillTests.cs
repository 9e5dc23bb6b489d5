using NpsTriggers.Core.Faults;
using NpsTriggers.IntegrationTests.Loop;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Faults;

/// <summary>
/// Each role's process SIGKILLed mid-batch at the worst step — a fail point (<see cref="FailPoints"/>) makes it kill
/// itself there — then started again on the same database and broker. Afterwards every event has exactly its
/// invitations, every due invitation went out once (email: see the one documented exception), and every response
/// change is on Kafka under one event id.
/// </summary>
public sealed class ProcessKillTests
{
    private const int SigKill = 137;
    private static readonly TimeSpan DeathTimeout = TimeSpan.FromSeconds(90);

    private static Dictionary<string, string?> With(IReadOnlyDictionary<string, string?> settings, params (string Key, string? Value)[] overrides)
    {
        var all = new Dictionary<string, string?>(settings);
        foreach (var (key, value) in overrides)
            all[key] = value;
        return all;
    }

    [Fact]
    public async Task Triggers_KilledAfterTheDatabaseCommitBeforeTheOffsets_RestartedProcessCreatesEachInvitationOnce()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        const int events = 3000;
        // Delivered yesterday: due in 13 days, so this is about intake alone.
        var yesterday = TimeProvider.System.GetUtcNow().AddDays(-1);
        await service.PublishAsync([.. Enumerable.Range(0, events).Select(i => BusinessEvents.Binary(
            $"kill-{i}", "order.delivered", BusinessEvents.OrderDelivered($"K{i}", $"k{i}@example.com"), yesterday))]);
        var settings = With(service.Settings, ("Roles", "triggers"), ("Kafka:BatchSize", "500"), ("Kafka:BatchMaxWait", "00:00:00.200"));

        await using (var first = await HostProcess.StartAsync(settings, FailPoints.IntakeAfterCommit + "@3"))
            (await first.WaitForExitAsync(DeathTimeout)).ShouldBe(SigKill, first.Output);
        var committed = await service.ScalarAsync<long>("select count(*) from invitations");
        committed.ShouldBeGreaterThan(0, "the batches before the kill were committed to PostgreSQL");
        committed.ShouldBeLessThan(events);

        await using var second = await HostProcess.StartAsync(settings);
        await service.WaitForCountAsync("select count(*) from invitations", events, TimeSpan.FromSeconds(90));
        // The restarted consumer re-read what the dead one had committed but never acknowledged to Kafka…
        var consumed = await MetricsScrape.SumAsync(second.Http, "nps_events_consumed_total");
        consumed.ShouldBeGreaterThan(events - committed, "offsets of the committed batch were not stored, so its records came again");
        // …and the inbox turned every re-read into a no-op: one invitation per event, one inbox row per event.
        (await service.ScalarAsync<long>("select count(*) from invitations")).ShouldBe(events);
        (await service.ScalarAsync<long>("select count(*) from (select 1 from invitations group by event_source, event_id having count(*) <> 1) d")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from inbox")).ShouldBe(events);
        (await service.ScalarAsync<long>("select count(*) from dead_letters")).ShouldBe(0);
    }

    [Fact]
    public async Task SmsDispatch_KilledAfterTwilioAcceptedBeforeSent_TheStatusCallbackReconcilesIt_NoSecondText()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile(Sms.SmsTests.Yaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(twilio.Settings), startHost: false);
        // Intake and the webhooks keep running in their own process; only dispatch dies, as one pod of three would.
        await using var ingest = await HostProcess.StartAsync(With(service.Settings, ("Roles", "triggers,ingest")));
        const int texts = 12;
        var twoHoursAgo = TimeProvider.System.GetUtcNow().AddHours(-2);
        await service.PublishAsync([.. Enumerable.Range(0, texts).Select(i => BusinessEvents.Structured(
            $"closed-{i}", "ticket.closed",
            new { recipient = new { customerId = $"c-{i}", phone = $"+4915112345{i:D3}", name = "Bo", locale = "en-GB" }, ticketId = $"T-{i}" }, twoHoursAgo))]);
        await service.WaitForCountAsync("select count(*) from invitations", texts);

        var dispatch = With(service.Settings, ("Roles", "dispatch"), ("SurveyLinks:PublicBaseUrl", ingest.BaseAddress.ToString()),
            // One call in flight, so exactly one accepted send is unrecorded at the kill (many: the test after the next).
            ("Dispatch:Workers", "1"), ("Dispatch:SendChunkSize", "4"), ("Dispatch:ClaimLease", "00:00:10"), ("Sms:MaxInFlight", "1"));
        await using (var first = await HostProcess.StartAsync(dispatch, FailPoints.DispatchAfterProviderAccepted + "@3"))
            (await first.WaitForExitAsync(DeathTimeout)).ShouldBe(SigKill, first.Output);
        var before = twilio.Messages.ToArray();
        before.Length.ShouldBe(3);
        (await service.ScalarAsync<long>("select count(*) from invitations where state = 'sent'")).ShouldBe(2);
        // The sweep claimed every due invitation; the one Twilio took last is the one nobody recorded.
        var unconfirmed = await service.ScalarAsync<string>("select id::text from invitations where phone = @to", ("to", before[2].To));
        (await service.ScalarAsync<string>("select state from invitations where id = @id::uuid", ("id", unconfirmed))).ShouldBe("sending");

        // Twilio reports the status of every message it took, to the ingest replicas, whether or not dispatch lives.
        foreach (var message in before)
            (await twilio.SendStatusAsync(message, "sent")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        (await service.ScalarAsync<string>("select accepted_message_id from invitations where id = @id::uuid", ("id", unconfirmed)))
            .ShouldBe(before[2].Sid);

        await using var second = await HostProcess.StartAsync(dispatch);
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", texts, TimeSpan.FromSeconds(60));
        twilio.Messages.Count.ShouldBe(texts, "the message Twilio accepted before the kill was not sent again");
        twilio.Messages.Select(m => m.To).Distinct().Count().ShouldBe(texts);
        (await service.ScalarAsync<string>("select message_id from invitations where id = @id::uuid", ("id", unconfirmed))).ShouldBe(before[2].Sid);
        (await service.ScalarAsync<string>("select delivery_status from invitations where id = @id::uuid", ("id", unconfirmed))).ShouldBe("sent");
        (await service.ScalarAsync<long>("select count(*) from invitations where accepted_message_id is not null")).ShouldBe(0);
        foreach (var message in twilio.Messages)
            (await service.ScalarAsync<long>("select count(*) from invitations where message_id = @sid and phone = @to", ("sid", message.Sid), ("to", message.To))).ShouldBe(1);
    }

    [Fact]
    public async Task EmailDispatch_KilledAfterTheSmtpServerAcceptedBeforeSent_ResendsOnlyThatMessage_UnderTheSameMessageId()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        const int emails = 12;
        var fifteenDaysAgo = TimeProvider.System.GetUtcNow().AddDays(-15);
        await service.PublishAsync([.. Enumerable.Range(0, emails).Select(i => BusinessEvents.Binary(
            $"mail-{i}", "order.delivered", BusinessEvents.OrderDelivered($"M{i}", $"m{i}@example.com"), fifteenDaysAgo))]);
        await using var ingest = await HostProcess.StartAsync(With(service.Settings, ("Roles", "triggers,ingest")));
        await service.WaitForCountAsync("select count(*) from invitations", emails);

        var dispatch = With(service.Settings, ("Roles", "dispatch"), ("SurveyLinks:PublicBaseUrl", ingest.BaseAddress.ToString()),
            // One connection, so exactly one accepted email is unrecorded at the kill (many: the next test).
            ("Dispatch:Workers", "1"), ("Dispatch:SendChunkSize", "4"), ("Dispatch:ClaimLease", "00:00:10"), ("Smtp:MaxConnections", "1"));
        await using (var first = await HostProcess.StartAsync(dispatch, FailPoints.DispatchAfterProviderAccepted + "@3"))
            (await first.WaitForExitAsync(DeathTimeout)).ShouldBe(SigKill, first.Output);
        var before = await service.Smtp.WaitForMessagesAsync(3, TimeSpan.FromSeconds(10));
        before.Count.ShouldBe(3);
        (await service.ScalarAsync<long>("select count(*) from invitations where state = 'sent'")).ShouldBe(2);

        await using var second = await HostProcess.StartAsync(dispatch);
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", emails, TimeSpan.FromSeconds(60));
        var all = await service.Smtp.WaitForMessagesAsync(emails + 1, TimeSpan.FromSeconds(10));
        // SMTP has no way to ask whether a message arrived: the one the server took in the window between its 250 and
        // our commit goes out again once its lease lapses — never lost, and recognisable by its Message-Id.
        all.Count.ShouldBe(emails + 1);
        var twice = all.GroupBy(m => m.MessageId).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        twice.ShouldBe([before[2].MessageId]);
        all.Select(m => m.To.ToString()).Distinct().Count().ShouldBe(emails);
        // The one in flight when the process died was taken back by a sweep once its lease lapsed, which counts as an
        // attempt; the rest of what the dead process held went out through its queued jobs or the same way.
        (await service.ScalarAsync<int>("select attempts from invitations where email = @to", ("to", before[2].To.Mailboxes.Single().Address))).ShouldBe(2);
        (await service.ScalarAsync<long>("select count(*) from invitations where attempts not in (1, 2)")).ShouldBe(0);
    }

    /// <summary>
    /// Issue 21: killed with many emails in flight against a relay that takes 100 ms per message. What goes out twice is
    /// bounded by the calls in flight (<c>Smtp:MaxConnections</c>): each one the relay took (or was still taking) when the
    /// process died and nobody recorded. Nothing is lost.
    /// </summary>
    [Fact]
    public async Task EmailDispatch_KilledWithManyInFlight_DoublesAtMostTheCallsInFlight_LosesNothing()
    {
        const int emails = 40, connections = 6;
        await using var service = await ServiceUnderTest.StartAsync(startHost: false,
            smtpLatency: TimeSpan.FromMilliseconds(100), smtpJitter: TimeSpan.FromMilliseconds(30));
        var fifteenDaysAgo = TimeProvider.System.GetUtcNow().AddDays(-15);
        await service.PublishAsync([.. Enumerable.Range(0, emails).Select(i => BusinessEvents.Binary(
            $"many-{i}", "order.delivered", BusinessEvents.OrderDelivered($"N{i}", $"n{i}@example.com"), fifteenDaysAgo))]);
        await using var ingest = await HostProcess.StartAsync(With(service.Settings, ("Roles", "triggers,ingest")));
        await service.WaitForCountAsync("select count(*) from invitations", emails);

        var dispatch = With(service.Settings, ("Roles", "dispatch"), ("SurveyLinks:PublicBaseUrl", ingest.BaseAddress.ToString()),
            ("Dispatch:Workers", "2"), ("Dispatch:SendChunkSize", "20"), ("Dispatch:ClaimLease", "00:00:10"),
            ("Smtp:MaxConnections", $"{connections}"));
        await using (var first = await HostProcess.StartAsync(dispatch, FailPoints.DispatchAfterProviderAccepted + "@12"))
            (await first.WaitForExitAsync(DeathTimeout)).ShouldBe(SigKill, first.Output);
        var recordedBeforeKill = await service.ScalarAsync<long>("select count(*) from invitations where state = 'sent'");
        recordedBeforeKill.ShouldBeLessThan(12);

        await using var second = await HostProcess.StartAsync(dispatch);
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", emails, TimeSpan.FromSeconds(90));
        await Task.Delay(TimeSpan.FromSeconds(1)); // the relay stores a message before it answers; let the last ones land
        var all = await service.Smtp.WaitForMessagesAsync(emails, TimeSpan.FromSeconds(10));
        // Nothing lost: every address got its survey…
        all.Select(m => m.To.Mailboxes.Single().Address).Distinct().Count().ShouldBe(emails);
        // …and what went twice went under the same Message-Id, at most once more each, at most one per call in flight.
        var doubled = all.GroupBy(m => m.MessageId).Where(g => g.Count() > 1).ToArray();
        doubled.ShouldAllBe(g => g.Count() == 2);
        (all.Count - emails).ShouldBeLessThanOrEqualTo(connections);
        all.GroupBy(m => m.To.Mailboxes.Single().Address).ShouldAllBe(g => g.Select(m => m.MessageId).Distinct().Count() == 1);
    }

    /// <summary>
    /// A crash tied to one invitation (here: every process dies right after the SMTP server accepted its email) used to
    /// repeat every lease, resending the email each time, for ever. Each lease taken back now counts as an attempt.
    /// </summary>
    [Fact]
    public async Task EmailDispatch_KilledAfterAcceptanceByEveryRun_GivesUpAtMaxAttempts()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.PublishAsync(BusinessEvents.Binary("fatal", "order.delivered", BusinessEvents.OrderDelivered("F1"), TimeProvider.System.GetUtcNow().AddDays(-15)));
        var settings = With(service.Settings, ("Roles", "triggers,dispatch"), ("Dispatch:ClaimLease", "00:00:10"), ("Dispatch:MaxAttempts", "2"));
        await service.MigrateAsync();

        var runs = 0;
        var lastOutput = "";
        do
        {
            runs++.ShouldBeLessThan(4, $"the invitation should have failed after two attempts; last run's output:\n{lastOutput}");
            await using var host = await HostProcess.StartAsync(settings, FailPoints.DispatchAfterProviderAccepted);
            // It dies sending, or, once the attempts are spent, the sweep fails the invitation instead.
            await Eventually.Until(async () => host.HasExited || await service.ScalarAsync<long>("select count(*) from invitations where state = 'failed'") > 0,
                done => done, DeathTimeout, "a kill or the give-up");
            lastOutput = host.Output;
            if (host.HasExited)
                (await host.WaitForExitAsync(DeathTimeout)).ShouldBe(SigKill, host.Output);
        }
        while (await service.ScalarAsync<long>("select count(*) from invitations where state = 'failed'") == 0);
        runs.ShouldBe(3);
        (await service.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(5))).Count.ShouldBe(2);
        (await service.ScalarAsync<string>("select failure_reason from invitations")).ShouldStartWith("gave up after 2 attempts: the send run holding it stopped before recording a result");
    }

    [Fact]
    public async Task Ingest_KilledAfterKafkaAcknowledgedTheOutboxBatch_RestartedProcessPublishesEachChangeUnderOneEventId()
    {
        await using var service = await ServiceUnderTest.StartAsync(OutboxPublisherTests.FastOutbox);
        service.Kafka.CreateTopic(ResponseEvents.Topic, 3);
        var links = await SentSurveys.SendAsync(service, "A1", "B2", "C3");
        var http = service.Host!.Http;
        // Replies arrive while Kafka is away, so they wait (in the response event stream) for the process we are about to kill.
        service.Kafka.SetBrokerDown(-1);
        (await ScoreClicks.ClickAsync(http, links["A1"][3])).EnsureSuccessStatusCode();
        (await ScoreClicks.ClickAsync(http, links["B2"][9])).EnsureSuccessStatusCode();
        (await ScoreClicks.ClickAsync(http, links["B2"][6])).EnsureSuccessStatusCode();
        (await ScoreClicks.ClickAsync(http, links["C3"][10])).EnsureSuccessStatusCode();
        await service.StopHostAsync();
        service.Kafka.SetBrokerUp(-1);
        (await service.ScalarAsync<long>(ResponseEvents.WaitingSql)).ShouldBe(4);

        var settings = With(service.Settings, ("Roles", "ingest"), ("Outbox:Lease", "00:00:03"), ("Outbox:DeliveryTimeout", "00:00:02"));
        await using (var first = await HostProcess.StartAsync(settings, FailPoints.OutboxAfterPublish))
            (await first.WaitForExitAsync(DeathTimeout)).ShouldBe(SigKill, first.Output);
        var acknowledged = ResponseEvents.ReadAll(service.Kafka.BootstrapServers, atLeast: 1, quiet: TimeSpan.FromSeconds(2));
        acknowledged.Count.ShouldBeGreaterThan(0);
        (await service.ScalarAsync<long>(ResponseEvents.WaitingSql)).ShouldBe(4, "the killed process moved no cursor and marked nothing");

        await using var second = await HostProcess.StartAsync(settings);
        await service.WaitForCountAsync(ResponseEvents.PublishedSql, 4, TimeSpan.FromSeconds(60));
        var all = ResponseEvents.ReadAll(service.Kafka.BootstrapServers, atLeast: 4 + acknowledged.Count, quiet: TimeSpan.FromSeconds(2));
        // The batch Kafka acknowledged before the kill went out again; consumers drop the copies by CloudEvent id.
        all.Count.ShouldBe(4 + acknowledged.Count);
        var ids = all.Select(r => r.Event.GetProperty("id").GetString()).ToArray();
        ids.Distinct().Count().ShouldBe(4);
        foreach (var copy in all.GroupBy(r => r.Event.GetProperty("id").GetString()))
            copy.Select(r => r.Event.GetRawText()).Distinct().Count().ShouldBe(1, "a re-published event is byte-for-byte the same event");
        all.GroupBy(r => r.Event.GetProperty("id").GetString()).Select(g => g.First().Event.GetProperty("data").GetProperty("score").GetInt32())
            .Order().ToArray().ShouldBe([3, 6, 9, 10]);
    }
}
