using System.Net;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Sms;

/// <summary>
/// SMS reminders end to end (docs/RULES.md, "SMS reminders"): sent through the Twilio stand-in, each tracked by its own
/// message SID (status callbacks, Twilio 30001), and answered by reply like the first text.
/// </summary>
public sealed class SmsReminderTests
{
    private const string Bo = "+4915112345601";
    private const string Cy = "+4915112345602";

    private static object Ticket(string person, string phone) =>
        new { recipient = new { customerId = person, phone, name = "Bo", locale = "en-GB" }, ticketId = person };

    private static List<TwilioStandIn.Message> To(TwilioStandIn twilio, string phone) => [.. twilio.Messages.Where(m => m.To == phone)];

    [Fact]
    public async Task SmsReminders_SentTrackedByTheirOwnSidResentAfter30001_AndStoppedByAReply()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile(RulesDoc.Block("sms-reminders-rules"));
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(twilio.Settings));
        await service.PublishAsync(
            BusinessEvents.Binary("bo", "ticket.closed", Ticket("c-bo", Bo), ServiceUnderTest.Start),
            BusinessEvents.Binary("cy", "ticket.closed", Ticket("c-cy", Cy), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 2);

        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 2);
        var expected = RulesDoc.Lines("sms-reminders-texts");
        To(twilio, Bo).Single().Body.ShouldBe(expected[0]);

        // A minute before the reminder is due, nothing; at the minute, one reminder each.
        service.Clock.Advance(TimeSpan.FromDays(3) - TimeSpan.FromMinutes(1));
        await service.WaitForSweepAsync();
        twilio.Messages.Count.ShouldBe(2);
        service.Clock.Advance(TimeSpan.FromMinutes(1));
        await service.WaitForCountAsync("select count(*) from invitations where reminders_sent = 1", 2);
        var boReminder = To(twilio, Bo)[1];
        boReminder.Body.ShouldBe(expected[1]);
        var cyReminder = To(twilio, Cy)[1];
        var cyFirst = To(twilio, Cy)[0];
        // The reminder is its own message: its SID is kept next to the first text's, whose own stays on the invitation.
        (await service.ScalarAsync<string>("select message_id from invitations where event_id = 'cy'")).ShouldBe(cyFirst.Sid);
        (await service.ScalarAsync<long>("select count(*) from reminder_messages r join invitations i on i.id = r.invitation_id where i.event_id = 'bo' and r.message_id = @sid and r.reminder = 1",
            ("sid", boReminder.Sid))).ShouldBe(1);
        boReminder.StatusCallback.ShouldBe(To(twilio, Bo)[0].StatusCallback);

        // Its status callbacks are recorded against it, forward only, and leave the first text's status alone.
        (await twilio.SendStatusAsync(To(twilio, Bo)[0], "delivered")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await twilio.SendStatusAsync(boReminder, "delivered")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await twilio.SendStatusAsync(boReminder, "sent")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await service.ScalarAsync<string>("select delivery_status from reminder_messages where message_id = @sid", ("sid", boReminder.Sid))).ShouldBe("delivered");
        (await service.ScalarAsync<string>("select delivery_status from invitations where event_id = 'bo'")).ShouldBe("delivered");

        // Cy's reminder expires in Twilio's queue (30001): it never reached Cy, so it goes out again, once, as reminder 1.
        (await twilio.SendStatusAsync(cyFirst, "delivered")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await twilio.SendStatusAsync(cyReminder, "failed", "30001")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await twilio.SendStatusAsync(cyReminder, "failed", "30001")).StatusCode.ShouldBe(HttpStatusCode.OK); // Twilio retries callbacks
        (await service.ScalarAsync<string>("select state || ' ' || reminders_sent || ' ' || failure_reason from invitations where event_id = 'cy'"))
            .ShouldBe("sent 0 Twilio 30001 (queue overflow): reminder 1 expired in Twilio's queue unsent; sending it again");
        service.Clock.Advance(TimeSpan.FromMinutes(15));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 'cy' and reminders_sent = 1", 1);
        await service.WaitForSweepAsync();
        To(twilio, Cy).Count.ShouldBe(3);
        var cyAgain = To(twilio, Cy)[2];
        cyAgain.Body.ShouldBe(cyReminder.Body);
        cyAgain.Sid.ShouldNotBe(cyReminder.Sid);
        (await service.ScalarAsync<long>("select count(*) from reminder_messages where message_id = @sid and reminder = 1", ("sid", cyAgain.Sid))).ShouldBe(1);
        // The first reminder's late callbacks change nothing now.
        (await twilio.SendStatusAsync(cyReminder, "undelivered", "30001")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await service.ScalarAsync<int>("select reminders_sent from invitations where event_id = 'cy'")).ShouldBe(1);

        // Bo answers the reminder by reply: the answer lands on the invitation, and Bo gets no second reminder; Cy does.
        var reply = await twilio.SendInboundAsync(new Uri(service.Host!.BaseAddress, "/twilio/inbound"), Bo, "8 quick fix");
        reply.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await reply.Content.ReadAsStringAsync()).ShouldContain("Thank you for your feedback!");
        (await service.ScalarAsync<string>("select r.score || ' ' || r.comment from responses r join invitations i on i.id = r.invitation_id where i.event_id = 'bo'"))
            .ShouldBe("8 quick fix");
        service.Clock.Advance(TimeSpan.FromDays(3));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 'cy' and reminders_sent = 2", 1);
        await service.WaitForSweepAsync();
        To(twilio, Cy).Count.ShouldBe(4);
        To(twilio, Cy)[3].Body.ShouldBe(expected[1]);
        To(twilio, Bo).Count.ShouldBe(2);
        // Bo's second reminder fell due: the sweep sent none and completed the answered invitation's move to answered.
        (await service.ScalarAsync<string>("select state from invitations where event_id = 'bo'")).ShouldBe("answered");
    }

    [Fact]
    public async Task FirstTextsLateQueueOverflow_AfterItsReminderWentOut_IsRecorded_AndNothingIsSentAgain()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile(RulesDoc.Block("sms-reminders-rules"));
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(twilio.Settings));
        await service.PublishAsync(BusinessEvents.Binary("bo", "ticket.closed", Ticket("c-bo", Bo), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        service.Clock.Advance(TimeSpan.FromDays(3));
        await service.WaitForCountAsync("select count(*) from invitations where reminders_sent = 1", 1);
        var first = To(twilio, Bo)[0];
        To(twilio, Bo).Count.ShouldBe(2);

        // The first text's 30001 comes only now (Twilio retries a callback it could not deliver): Bo has the reminder,
        // which carries the survey, so the status is recorded and the invitation stays as it is.
        (await twilio.SendStatusAsync(first, "undelivered", "30001")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await service.ScalarAsync<string>("select state || ' ' || reminders_sent || ' ' || delivery_status || ' ' || delivery_error from invitations where event_id = 'bo'"))
            .ShouldBe("sent 1 undelivered 30001");
        (await service.ScalarAsync<string>("select message_id from invitations where event_id = 'bo'")).ShouldBe(first.Sid);

        // Past the resend pause (15 minutes), nothing more went to Bo.
        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForSweepAsync();
        await service.WaitForSweepAsync();
        To(twilio, Bo).Count.ShouldBe(2);
    }
}
