using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using NpsTriggers.Core.Rules;
using NpsTriggers.Dispatch.Scheduling;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Rules;

/// <summary>
/// Issue 22, "Every outcome explained": each outcome after intake, driven through the real path (Kafka, the dispatcher,
/// the SMTP server and the Twilio stand-in, the bounce-free failure injection they support), read back from
/// <c>/api/decisions</c> and compared word for word with docs/RULES.md's table.
/// </summary>
public sealed class DecisionLogTests
{
    internal sealed record Decision(DateTimeOffset At, string EventSource, string EventId, string EventType, string Rule, string? CustomerId,
        Guid? InvitationId, string Outcome, string Detail);

    private const string Yaml = """
        version: 1
        throttle: { global: 1s, survey: 1s }
        surveys:
          delivery: { subject: 'Order #{{ data.orderId }}', question: How likely are you to recommend Acme? }
          support: { subject: 'Hi', question: how likely are you to recommend Acme support? }
          relationship: { subject: 'How are we doing?', question: How likely are you to recommend Acme? }
        rules:
          - name: delivered
            on: order.delivered
            survey: delivery
            delay: 1h
            expiry: 3d
            keep: [orderId]
            cancelOn: [{ on: order.returned, match: orderId }]
            reminders: { count: 2, after: 1d }
          - { name: ticket-sms, on: ticket.closed, survey: support, channel: sms, delay: 1h, reminders: { count: 0 } }
          - { name: fallback, on: order.shipped, survey: delivery, channel: email-then-sms, keep: [orderId], reminders: { count: 0 } }
          - { name: quarterly, every: 90d, survey: relationship, sample: 50%, reminders: { count: 0 } }
        """;

    private static async Task<(ServiceUnderTest Service, TwilioStandIn Twilio, RulesFile Rules)> StartAsync()
    {
        var twilio = await TwilioStandIn.StartAsync();
        var rules = new RulesFile(Yaml);
        var service = await ServiceUnderTest.StartAsync(rules.Settings([.. twilio.Settings, ("RateLimits:QueueOverflowPause", "00:00:02")]), smtpFailRecipients: "(?i)^bounce");
        return (service, twilio, rules);
    }

    private static object Order(string orderId, string customer, string? phone = null) => new
    {
        recipient = new { customerId = customer, email = $"{(customer.StartsWith("bounce", StringComparison.Ordinal) ? "" : "p-")}{customer}@example.com", phone, name = "Anna" },
        orderId,
    };

    private static object Ticket(string phone, string ticket) => new { recipient = new { customerId = "c-" + ticket, phone }, ticketId = ticket };

    internal static async Task<List<Decision>> DecisionsAsync(ServiceUnderTest service, string query) =>
        (await service.Host!.Ops.GetFromJsonAsync<List<Decision>>($"/api/decisions?{query}"))!;

    internal static string Utc(DateTime at) => at.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z";

    [Fact]
    public async Task Sms_FailedForGood_Deferred_Retrying_Sent_NameTheProviderCode_AndAreFoundByPhone()
    {
        var (service, twilio, rules) = await StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;

        // Refused for good: Twilio's code and message.
        twilio.FailNext(400, 21211, "The 'To' number +4915112340001 is not a valid phone number.");
        await service.PublishAsync(BusinessEvents.Structured("t-1", "ticket.closed", Ticket("+4915112340001", "T-1"), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 't-1'", 1);
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 't-1' and state = 'failed'", 1);
        var failed = await DecisionsAsync(service, "phone=%2B4915112340001");
        failed.Select(d => d.Outcome).ShouldBe(["failed", "scheduled"]);
        failed[0].Detail.ShouldBe("sms failed for good: Twilio 400 error 21211: The 'To' number +4915112340001 is not a valid phone number.");
        // A + left unescaped in the query string arrives as a space; spaces and dashes are no part of E.164.
        (await DecisionsAsync(service, "phone=+49 151-1234-0001")).Select(d => d.Detail).ShouldBe(failed.Select(d => d.Detail));
        (await service.Host!.Ops.GetAsync("/api/decisions?phone=call-me")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        // Deferred without an attempt: the sender's queue is full (21611).
        twilio.FailNext(400, 21611, "This 'From' number has exceeded the maximum number of queued messages");
        await service.PublishAsync(BusinessEvents.Structured("t-2", "ticket.closed", Ticket("+4915112340002", "T-2"), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 't-2'", 1);
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 't-2' and state = 'scheduled' and failure_reason like '%21611%'", 1);
        var due = await service.ScalarAsync<DateTime>("select due_at from invitations where event_id = 't-2'");
        (await DecisionsAsync(service, "phone=%2B4915112340002"))[0].ShouldSatisfyAllConditions(
            d => d.Outcome.ShouldBe("deferred"),
            d => d.Detail.ShouldBe($"sms not sent: Twilio 400 error 21611: This 'From' number has exceeded the maximum number of queued messages; the sender pauses, due again at {Utc(due)}"));
        service.Clock.Advance(TimeSpan.FromSeconds(3));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 't-2' and state = 'sent'", 1);
        var sent = await DecisionsAsync(service, "phone=%2B4915112340002");
        sent.Select(d => d.Outcome).ShouldBe(["sent", "deferred", "scheduled"]);
        sent[0].Detail.ShouldBe($"sms sent; provider message id {twilio.Messages.Single(m => m.To == "+4915112340002").Sid}");

        // A transient failure: the attempt, the provider's answer and when it is tried again.
        for (var i = 0; i < 50; i++)
            twilio.FailNext(500, 20500, "Internal Server Error");
        await service.PublishAsync(BusinessEvents.Structured("t-3", "ticket.closed", Ticket("+4915112340003", "T-3"), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 't-3'", 1);
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 't-3' and state = 'scheduled' and attempts = 1", 1);
        twilio.ClearFailures();
        var reason = await service.ScalarAsync<string>("select failure_reason from invitations where event_id = 't-3'");
        reason.ShouldContain("Twilio 500");
        var retryAt = await service.ScalarAsync<DateTime>("select due_at from invitations where event_id = 't-3'");
        (await DecisionsAsync(service, "event=t-3"))[0].ShouldSatisfyAllConditions(
            d => d.Outcome.ShouldBe("retrying"),
            d => d.Detail.ShouldBe($"sms attempt 1 of 8 failed: {reason}; due again at {Utc(retryAt)}"));
    }

    [Fact]
    public async Task Email_Sent_Reminded_ReminderSkipped_Expired_Cancelled_SuppressedAtSend_FellBackToSms_AreEachExplained()
    {
        var (service, twilio, rules) = await StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;
        var start = service.Clock.GetUtcNow();
        await service.PublishAsync(
            BusinessEvents.Binary("o-a", "order.delivered", Order("A", "a"), start),
            BusinessEvents.Binary("o-b", "order.delivered", Order("B", "b"), start),
            BusinessEvents.Binary("o-c", "order.delivered", Order("C", "c"), start),
            BusinessEvents.Binary("o-d", "order.shipped", Order("D", "bounce-d", phone: "+4915112340009"), start));
        await service.WaitForCountAsync("select count(*) from invitations", 4);
        await service.PublishAsync(BusinessEvents.Binary("ret-b", "order.returned", Order("B", "b"), start));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'cancelled'", 1);
        var bId = await service.ScalarAsync<Guid>("select id from invitations where event_id = 'o-b'");
        (await DecisionsAsync(service, "event=ret-b")).ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            d => d.Outcome.ShouldBe("cancelled"),
            d => d.Detail.ShouldBe($"pending invitation {bId} cancelled by order.returned /shop/orders ret-b"));

        // Suppressed between intake and send.
        (await service.Host!.Ops.PostAsJsonAsync("/api/suppressions", new { channel = "email", address = "p-c@example.com", reason = "asked by phone" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where event_id in ('o-a', 'o-c') and state in ('sent', 'suppressed')", 2);
        (await DecisionsAsync(service, "email=p-c@example.com"))[0].ShouldSatisfyAllConditions(
            d => d.Outcome.ShouldBe("suppressed"),
            d => d.Detail.ShouldBe($"email address is on the suppression list: manual: asked by phone, since {Utc(start.UtcDateTime)}"));

        // Sent, with the Message-Id the relay took.
        var firstMail = (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30))).Single(m => m.Subject == "Order #A");
        (await DecisionsAsync(service, "customer=a"))[0].ShouldSatisfyAllConditions(
            d => d.Outcome.ShouldBe("sent"),
            d => d.Detail.ShouldBe($"email sent; provider message id {firstMail.MessageId}"));

        // The email to D is refused for good, and the rule falls back to SMS.
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 'o-d' and state = 'sent'", 1);
        var byPhone = await DecisionsAsync(service, "phone=%2B4915112340009");
        byPhone.Select(d => d.Outcome).ShouldBe(["sent", "fell_back_to_sms", "scheduled"]);
        byPhone[1].Detail.ShouldBe("email failed (SMTP 550 RecipientNotAccepted: 5.1.1 <bounce-d@example.com>: Recipient address rejected: Mailbox unavailable); falling back to sms");
        byPhone[0].Detail.ShouldBe($"sms sent; provider message id {twilio.Messages.Single().Sid}");

        // The first reminder, a day later.
        service.Clock.Advance(TimeSpan.FromDays(1));
        var reminder = await ReminderAsync(service, "Reminder: Order #A");
        // The relay stores the message before it answers; the decision is written with the commit after that answer.
        await service.WaitForCountAsync("select count(*) from decisions where customer_id = 'a' and outcome = 'reminder_sent'", 1);
        (await DecisionsAsync(service, "customer=a"))[0].ShouldSatisfyAllConditions(
            d => d.Outcome.ShouldBe("reminder_sent"),
            d => d.Detail.ShouldBe($"email reminder 1 of 2 sent; provider message id {reminder.MessageId}"));

        // The person opts out; the second reminder is skipped and says why.
        var optedOutAt = service.Clock.GetUtcNow();
        (await service.Host.Ops.PostAsJsonAsync("/api/suppressions", new { channel = "email", address = "p-a@example.com", reason = "unsubscribed by phone" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        service.Clock.Advance(TimeSpan.FromDays(1));
        await service.WaitForCountAsync("select count(*) from decisions where outcome = 'reminder_skipped'", 1);
        (await DecisionsAsync(service, "customer=a"))[0].Detail
            .ShouldBe($"reminder 2 of 2 not sent: email address is on the suppression list: manual: unsubscribed by phone, since {Utc(optedOutAt.UtcDateTime)}; no more reminders");

        // Three days after the send, its links expire unanswered.
        service.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 'o-a' and state = 'expired'", 1);
        var expires = await service.ScalarAsync<DateTime>("select expires_at from invitations where event_id = 'o-a'");
        (await DecisionsAsync(service, "customer=a"))[0].ShouldSatisfyAllConditions(
            d => d.Outcome.ShouldBe("expired"),
            d => d.Detail.ShouldBe($"unanswered: the email survey's links expired at {Utc(expires)} after 1 reminder"));
    }

    [Fact]
    public async Task Window_ASendMadeLateByARulesEdit_IsDeferredToTheNextOpeningInTheRecipientsZone()
    {
        var (service, twilio, rules) = await StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;
        await service.PublishAsync(BusinessEvents.Binary("o-w", "order.delivered", Order("W", "w"), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 'o-w'", 1);

        // The rule gains a window after the invitation was planned: its send, due Monday 09:00Z, falls outside it.
        var provider = (RulesProvider)service.Host!.Services.GetService(typeof(RulesProvider))!;
        await File.WriteAllTextAsync(rules.Path, Yaml.Replace("    expiry: 3d\n",
            "    expiry: 3d\n    window: { days: Tue-Thu, from: \"10:00\", to: \"11:30\", timeZone: Europe/Berlin }\n", StringComparison.Ordinal));
        await Eventually.Until(() => Task.FromResult(provider.Current.Rules.Single(r => r.Name == "delivered").Window), w => w is not null, what: "reload");
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from decisions where outcome = 'deferred'", 1);
        (await DecisionsAsync(service, "event=o-w"))[0].ShouldSatisfyAllConditions(
            d => d.Outcome.ShouldBe("deferred"),
            d => d.Detail.ShouldBe("outside the send window Tue,Wed,Thu 10:00-11:30; due again at 2026-11-03 10:00 Europe/Berlin (2026-11-03 09:00Z)"));
        (await service.ScalarAsync<DateTime>("select due_at from invitations where event_id = 'o-w'")).ShouldBe(new DateTime(2026, 11, 3, 9, 0, 0, DateTimeKind.Utc));
    }

    private static async Task<MimeKit.MimeMessage> ReminderAsync(ServiceUnderTest service, string subject)
    {
        return await Eventually.Until(async () => (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).FirstOrDefault(m => m.Subject == subject),
            m => m is not null, what: subject) ?? throw new InvalidOperationException(subject);
    }

    [Fact]
    public async Task DeadLetter_IsFoundByItsEventId_AndRelationalSampleOutIsExplainedOncePerPeriod()
    {
        var (service, twilio, rules) = await StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;

        // A binary-mode record whose data is no JSON: its ce_* headers say which event it was.
        await service.PublishAsync(BusinessEvents.Raw(Encoding.UTF8.GetBytes("{\"recipient\": "),
            ("ce_specversion", "1.0"), ("ce_id", "broken-1"), ("ce_source", "/shop/orders"), ("ce_type", "order.delivered"),
            ("content-type", "application/json")));
        await service.WaitForCountAsync("select count(*) from dead_letters", 1);
        var (topic, partition, offset, reason) = (await service.ScalarAsync<string>("select topic from dead_letters"),
            await service.ScalarAsync<int>("select partition from dead_letters"), await service.ScalarAsync<long>("select \"offset\" from dead_letters"),
            await service.ScalarAsync<string>("select reason from dead_letters"));
        (await DecisionsAsync(service, "event=broken-1&source=/shop/orders")).ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            d => d.Outcome.ShouldBe("dead_lettered"),
            d => d.EventType.ShouldBe("order.delivered"),
            d => d.Rule.ShouldBe(""),
            d => d.Detail.ShouldBe($"dead-lettered {topic}/{partition}@{offset}: {reason}"));

        // Known people, half of whom the relational programme's sample leaves out.
        var people = Enumerable.Range(0, 12).Select(i => $"r{i}").ToList();
        await service.PublishAsync([.. people.Select(p => BusinessEvents.Binary($"o-{p}", "order.delivered", Order(p, p), service.Clock.GetUtcNow()))]);
        await service.WaitForCountAsync("select count(*) from invitations", people.Count);
        for (var run = 0; run < 2; run++)
            using (var scope = service.Host!.Services.CreateScope())
                await scope.ServiceProvider.GetRequiredService<RelationalProgrammeJob>().RunAsync(CancellationToken.None);
        var outside = people.Where(p => !Sampling.InSample("relationship", "c:" + p, 50)).ToList();
        outside.ShouldNotBeEmpty();
        foreach (var person in outside)
        {
            var key = Sampling.PersonKey(person, $"p-{person}@example.com", null)!;
            (await DecisionsAsync(service, $"customer={person}")).Where(d => d.Rule == "quarterly").ShouldHaveSingleItem().ShouldSatisfyAllConditions(
                d => d.Outcome.ShouldBe("sampled_out"),
                d => d.Detail.ShouldBe($"relational programme: bucket {Sampling.Bucket("relationship", key)} of 10000 is outside the 50% sample for survey 'relationship'"));
        }
    }
}
