using System.Diagnostics;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Ingest.Bounces;
using NpsTriggers.Testing;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.IntegrationTests.Email;

/// <summary>
/// The bounce loop on real parts: survey emails go to the SMTP capture with their return path as MAIL FROM, reports for
/// them are appended to a real IMAP mailbox (Dovecot), and the service's bounce reader acts on them within one poll.
/// </summary>
public sealed class BounceReaderTests
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    // "Within one poll interval", plus what one poll costs on a busy two-core machine (IMAP login, database).
    private static readonly TimeSpan OnePoll = Poll + TimeSpan.FromSeconds(8);

    private const string Yaml = """
        version: 1
        throttle: { global: 1h, survey: 1h }
        surveys:
          support:
            subject: How did we do?
            question: How likely are you to recommend Acme support?
            sms: '0-10: would you recommend Acme support? Reply STOP to opt out.'
        rules:
          - { name: mail, on: ticket.closed, survey: support, reminders: { count: 1, after: 7d } }
          - { name: fallback, on: case.resolved, survey: support, channel: email-then-sms, reminders: { count: 0 } }
        """;

    private static object Person(string id, string email, string? phone = null) =>
        new { recipient = new { customerId = id, email, phone, name = "Bo" }, ticketId = id };

    private static async Task<ServiceUnderTest> StartAsync(RulesFile rules, ImapServer imap, params (string, string?)[] more) =>
        await ServiceUnderTest.StartAsync(rules.Settings([.. imap.Settings(Poll), ("Email:ReturnPathDomain", "bounces.acme.test"), .. more]));

    private static Task<Guid> InvitationAsync(ServiceUnderTest service, string eventId) =>
        service.ScalarAsync<Guid>("select id from invitations where event_id = @e", ("e", eventId));

    private static Task AppendAsync(ImapServer imap, string sample, Guid invitation, string recipient, int reminder = 0) =>
        imap.AppendAsync(BounceSamples.Load(sample, invitation, recipient, reminder, "bounces.acme.test", "nps.acme.test"));

    [Fact]
    public async Task Poll_BounceComplaintDelayAutoReplyAndGarbage_EachTakesEffectWithinOnePollAndASecondPassChangesNothing()
    {
        await using var imap = await ImapServer.StartAsync();
        using var rules = new RulesFile(Yaml);
        await using var service = await StartAsync(rules, imap);
        await service.PublishAsync(
            BusinessEvents.Binary("gone", "ticket.closed", Person("p1", "Gone@Customer.example"), ServiceUnderTest.Start),
            BusinessEvents.Binary("annoyed", "ticket.closed", Person("p2", "annoyed@customer.example"), ServiceUnderTest.Start),
            BusinessEvents.Binary("slow", "ticket.closed", Person("p3", "slow@customer.example"), ServiceUnderTest.Start),
            BusinessEvents.Binary("away", "ticket.closed", Person("p4", "away@customer.example"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 4);
        var (gone, annoyed, slow, away) = (await InvitationAsync(service, "gone"), await InvitationAsync(service, "annoyed"),
            await InvitationAsync(service, "slow"), await InvitationAsync(service, "away"));
        await service.Smtp.WaitForMessagesAsync(4, TimeSpan.FromSeconds(10));
        service.Smtp.EnvelopeSenders().Order().ShouldBe(
            new[] { gone, annoyed, slow, away }.Select(id => $"bounce+{id:N}@bounces.acme.test").Order());

        var appended = Stopwatch.StartNew();
        await AppendAsync(imap, "postfix-hard-bounce.eml", gone, "Gone@Customer.example");
        await AppendAsync(imap, "arf-complaint.eml", annoyed, "annoyed@customer.example");
        await AppendAsync(imap, "delayed-rfc822-headers.eml", slow, "slow@customer.example");
        await AppendAsync(imap, "out-of-office.eml", away, "away@customer.example");
        await imap.AppendAsync(BounceSamples.Load("garbage.bin", Guid.Empty, ""));
        // A well-formed bounce for an invitation this service never sent: counted and flagged, nobody suppressed.
        await AppendAsync(imap, "postfix-hard-bounce.eml", Guid.NewGuid(), "stranger@customer.example");
        await service.WaitForCountAsync("select count(*) from bounce_receipts", 6, OnePoll);
        appended.Elapsed.ShouldBeLessThan(OnePoll);

        (await service.ScalarAsync<string>("select reason from suppressions where channel = 'email' and address = 'gone@customer.example'")).ShouldBe("bounced");
        (await service.ScalarAsync<string>("select state from invitations where id = @id", ("id", gone))).ShouldBe("failed");
        (await service.ScalarAsync<string>("select failure_reason from invitations where id = @id", ("id", gone))).ShouldStartWith("bounced: 5.1.1 smtp; 550 5.1.1");
        (await service.ScalarAsync<string>("select detail from decisions where invitation_id = @id and outcome = 'bounced'", ("id", gone)))
            .ShouldContain("the survey email bounced (5.1.1");

        (await service.ScalarAsync<string>("select reason from suppressions where address = 'annoyed@customer.example'")).ShouldBe("complained");
        // The complaint proves delivery: the invitation stays sent, only its reminder is off.
        (await service.ScalarAsync<string>("select state || ' ' || reminders_left from invitations where id = @id", ("id", annoyed))).ShouldBe("sent 0");

        (await service.ScalarAsync<long>("select count(*) from suppressions where address in ('slow@customer.example', 'away@customer.example')")).ShouldBe(0);
        (await service.ScalarAsync<string>("select state || ' ' || reminders_left from invitations where id = @id", ("id", slow))).ShouldBe("sent 1");
        (await service.ScalarAsync<string>("select state || ' ' || reminders_left from invitations where id = @id", ("id", away))).ShouldBe("sent 1");
        (await service.ScalarAsync<string>("select string_agg(kind || ':' || outcome, ',' order by kind) from bounce_receipts"))
            .ShouldBe("complaint:reminders_stopped,ignored:ignored,permanent:failed,permanent:unmatched,transient:counted,unreadable:unreadable");
        (await service.ScalarAsync<long>("select count(*) from suppressions where address = 'stranger@customer.example'")).ShouldBe(0);

        var flags = await Eventually.Until(imap.KeywordsAsync, k => k.All(f => f.Count > 0), OnePoll, "flags");
        flags.Count(f => f.Contains(BounceReader.ProcessedKeyword)).ShouldBe(4);
        flags.TakeLast(2).ShouldAllBe(f => f.Contains(BounceReader.FailedKeyword));
        (await MetricsScrape.SumAsync(service.Host!.Http, "nps_bounces_total")).ShouldBe(6);

        // Flags lost (or a second replica reading the same mailbox): every message is read again, and nothing changes.
        var before = await SnapshotAsync(service);
        await imap.ClearKeywordsAsync(BounceReader.ProcessedKeyword, BounceReader.FailedKeyword);
        await Eventually.Until(imap.KeywordsAsync, k => k.All(f => f.Count > 0), OnePoll, "flags again");
        (await SnapshotAsync(service)).ShouldBe(before);
        (await service.ScalarAsync<long>("select count(*) from bounce_receipts")).ShouldBe(6);
        service.Logs.Lines.ShouldContain(l => l.Contains("flagged NpsTriggersFailed", StringComparison.Ordinal));
        service.Logs.Lines.ShouldNotContain(l => l.Contains("gone@customer.example", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Poll_HardBounceOfAnEmailThenSmsInvitation_FallsBackToSms()
    {
        await using var imap = await ImapServer.StartAsync();
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile(Yaml);
        await using var service = await StartAsync(rules, imap, twilio.Settings);
        await service.PublishAsync(BusinessEvents.Binary("mail-first", "case.resolved", Person("p1", "old@customer.example", "+4915112345671"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        var id = await InvitationAsync(service, "mail-first");
        twilio.Messages.ShouldBeEmpty();

        await AppendAsync(imap, "exchange-rfc822-headers.eml", id, "old@customer.example");
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent' and channel = 'sms'", 1, OnePoll + TimeSpan.FromSeconds(10));

        twilio.Messages.Select(m => m.To).ShouldBe(["+4915112345671"]);
        (await service.ScalarAsync<string>("select reason from suppressions where address = 'old@customer.example'")).ShouldBe("bounced");
        (await service.ScalarAsync<string>("select outcome from bounce_receipts")).ShouldBe("fell_back_to_sms");
        (await service.ScalarAsync<string>("select detail from decisions where outcome = 'bounced'")).ShouldContain("5.1.10");

        // The relay's second report for the same email (another report, another Message-Id) leaves the SMS alone.
        await AppendAsync(imap, "postfix-hard-bounce.eml", id, "old@customer.example");
        await service.WaitForCountAsync("select count(*) from bounce_receipts", 2, OnePoll);
        (await service.ScalarAsync<string>("select string_agg(outcome, ',' order by outcome) from bounce_receipts")).ShouldBe("fell_back_to_sms,suppressed");
        (await service.ScalarAsync<string>("select channel || ' ' || state from invitations where id = @id", ("id", id))).ShouldBe("sms sent");
        twilio.Messages.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Poll_BounceOfAReminderAndOfAnAnsweredSurvey_StopRemindersAndKeepTheInvitation()
    {
        await using var imap = await ImapServer.StartAsync();
        using var rules = new RulesFile(Yaml);
        await using var service = await StartAsync(rules, imap);
        await service.PublishAsync(
            BusinessEvents.Binary("reminded", "ticket.closed", Person("p1", "r@customer.example"), ServiceUnderTest.Start),
            BusinessEvents.Binary("answered", "ticket.closed", Person("p2", "a@customer.example"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 2);
        var messages = await service.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(10));
        var answeredMail = messages.Single(m => m.To.ToString().Contains("a@customer.example", StringComparison.Ordinal));
        using var http = new HttpClient();
        var link = Pipeline.EndToEndTests.ScoreLinks(answeredMail, service.Host!.BaseAddress)[9];
        (await http.PostAsync(new Uri(link + "/answer"), null)).EnsureSuccessStatusCode();
        await service.WaitForCountAsync("select count(*) from invitations where answered_at is not null", 1);
        var (reminded, answered) = (await InvitationAsync(service, "reminded"), await InvitationAsync(service, "answered"));

        await AppendAsync(imap, "postfix-hard-bounce.eml", reminded, "r@customer.example", reminder: 1);
        await AppendAsync(imap, "postfix-hard-bounce.eml", answered, "a@customer.example");
        await service.WaitForCountAsync("select count(*) from bounce_receipts", 2, OnePoll);

        (await service.ScalarAsync<string>("select state || ' ' || reminders_left from invitations where id = @id", ("id", reminded))).ShouldBe("sent 0");
        (await service.ScalarAsync<string>($"select {InvitationState.EffectiveSql()} || ' ' || reminders_left from invitations where id = @id", ("id", answered)))
            .ShouldBe("answered 1", "an answered invitation is neither failed nor rerouted by a bounce, and no reminders_stopped is recorded on it");
        (await service.ScalarAsync<long>("select count(*) from suppressions where reason = 'bounced'")).ShouldBe(2);
        (await service.ScalarAsync<string>("select string_agg(outcome, ',' order by outcome) from bounce_receipts")).ShouldBe("reminders_stopped,suppressed");
    }

    [Fact]
    public async Task Poll_ImapServerDown_RetriesAndShowsInHealthAndMetricsWithoutStoppingTheHost()
    {
        var imap = await ImapServer.StartAsync();
        await imap.DisposeAsync();
        using var rules = new RulesFile(Yaml);
        await using var service = await StartAsync(rules, imap);
        await Eventually.Until(() => MetricsScrape.SumAsync(service.Host!.Http, "nps_bounces_poll_failures_total"), n => n >= 2, OnePoll * 2, "poll failures");
        var health = await service.Host!.Http.GetStringAsync("/healthz/ready");
        health.ShouldContain("\"status\":\"Degraded\"");
        health.ShouldContain("bounce mailbox");
        // The rest of the service works on.
        await service.PublishAsync(BusinessEvents.Binary("still", "ticket.closed", Person("p1", "p1@customer.example"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
    }

    private static Task<string> SnapshotAsync(ServiceUnderTest service) => service.ScalarAsync<string>("""
        select (select string_agg(address || '=' || reason, ',' order by address) from suppressions) || ' | ' ||
               (select string_agg(id || '=' || state || '/' || reminders_left, ',' order by id) from invitations) || ' | ' ||
               (select count(*) from decisions) || ' | ' || (select string_agg(key || '=' || outcome, ',' order by key) from bounce_receipts)
        """);
}
