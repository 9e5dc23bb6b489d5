using System.Net;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Sms;

/// <summary>
/// <c>channel: email-then-sms</c> end to end (docs/RULES.md, "Email, then SMS"): what each person receives at the SMTP
/// server and the Twilio stand-in when the relay refuses their address for good, and what follows (a reply, an SMS
/// reminder); and who gets no SMS.
/// </summary>
public sealed class EmailSmsFallbackTests
{
    private static object Person(string name, string? email, string? phone) =>
        new { recipient = new { customerId = "c-" + name, email, phone, name, locale = "en-GB" }, ticketId = name };

    [Fact]
    public async Task EmailThenSms_AfterAPermanentRefusal_TheSurveyAndItsReminderGoBySms_AndNothingElseDoes()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile(RulesDoc.Block("fallback-rules"));
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(twilio.Settings), smtpFailRecipients: "^refused-");
        await service.PublishAsync(
            BusinessEvents.Binary("bo", "ticket.closed", Person("Bo", "refused-bo@example.com", "+4915112345681"), ServiceUnderTest.Start),
            BusinessEvents.Binary("cy", "ticket.closed", Person("Cy", "refused-cy@example.com", "+4915112345682"), ServiceUnderTest.Start),
            BusinessEvents.Binary("di", "ticket.closed", Person("Di", "di@example.com", "+4915112345683"), ServiceUnderTest.Start),
            BusinessEvents.Binary("ed", "ticket.closed", Person("Ed", "refused-ed@example.com", null), ServiceUnderTest.Start),
            BusinessEvents.Binary("fay", "chat.ended", Person("Fay", "refused-fay@example.com", "+4915112345686"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 5);

        service.Clock.Advance(TimeSpan.FromHours(1));
        await service.WaitForCountAsync("select count(*) from invitations where state in ('sent', 'failed')", 5);
        await service.WaitForSweepAsync();
        var texts = RulesDoc.Lines("fallback-texts");
        // Bo and Cy: refused by the relay (550 5.1.1), so the survey goes by SMS, in the survey's SMS wording.
        twilio.Messages.Select(m => (m.To, m.Body)).OrderBy(m => m.To).ShouldBe(
            [("+4915112345681", texts[0]), ("+4915112345682", texts[0].Replace("Bo,", "Cy,", StringComparison.Ordinal))]);
        // Di's address works: she gets the email and no text. Ed has no phone and Fay's rule is email only: nothing.
        var mail = await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10));
        mail.Select(m => (m.To.Mailboxes.Single().Address, m.Subject)).ShouldBe([("di@example.com", texts[1])]);
        (await service.ScalarAsync<string>("select string_agg(event_id || ' ' || channel || ' ' || state, ', ' order by event_id) from invitations"))
            .ShouldBe("bo sms sent, cy sms sent, di email sent, ed email failed, fay email failed");
        // One refused email attempt, then the SMS; Ed's and Fay's invitations keep the relay's refusal as their reason.
        (await service.ScalarAsync<int>("select attempts from invitations where event_id = 'bo'")).ShouldBe(2);
        (await service.ScalarAsync<string>("select failure_reason from invitations where event_id = 'ed'")).ShouldContain("550");
        (await service.ScalarAsync<string>("select failure_reason from invitations where event_id = 'fay'")).ShouldContain("550");

        // Bo answers by reply, as to any survey SMS.
        var reply = await twilio.SendInboundAsync(new Uri(service.Host!.BaseAddress, "/twilio/inbound"), "+4915112345681", "9");
        reply.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await reply.Content.ReadAsStringAsync()).ShouldContain("What is the main reason for your score?");
        (await service.ScalarAsync<string>("select r.score || ' ' || r.channel from responses r join invitations i on i.id = r.invitation_id where i.event_id = 'bo'"))
            .ShouldBe("9 sms");

        // Three days on, the reminder follows the channel the survey went by: an SMS to Cy, an email to Di, nothing to Bo.
        await ClockSteps.ArrivesAtAsync(service, ServiceUnderTest.Start.AddHours(1).AddDays(3), () => Task.FromResult(twilio.Messages.Count), 3, "Cy's SMS reminder");
        twilio.Messages.Last().ShouldSatisfyAllConditions(
            m => m.To.ShouldBe("+4915112345682"),
            m => m.Body.ShouldBe("Reminder: " + texts[0].Replace("Bo,", "Cy,", StringComparison.Ordinal)));
        mail = await service.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(10));
        mail.Select(m => (m.To.Mailboxes.Single().Address, m.Subject)).ShouldBe([("di@example.com", texts[1]), ("di@example.com", "Reminder: " + texts[1])]);
    }
}
