using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Sms;

/// <summary>channel: preferred and email-then-sms, and a survey's own SMS text.</summary>
public sealed class ChannelChoiceTests
{
    private const string Yaml = """
        version: 1
        throttle: { global: 1h, survey: 1h }
        surveys:
          support:
            subject: 'How did we do, {{ recipient.name }}?'
            question: How likely are you to recommend Acme support?
            sms: '{{ recipient.name }}, 0-10: would you recommend Acme support? Reply STOP to opt out.'
        rules:
          - { name: fallback, on: ticket.closed, survey: support, channel: email-then-sms, reminders: { count: 0 } }
          - { name: choice, on: case.resolved, survey: support, channel: preferred, reminders: { count: 0 } }
        """;

    private static object Person(string id, string? email, string? phone, string? preferred = null) =>
        new { recipient = new { customerId = id, email, phone, name = "Bo", preferredChannel = preferred }, ticketId = id };

    [Fact]
    public async Task Channels_PreferredAndFallback_PickTheRightOneAndSmsUsesTheSurveysText()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile(Yaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(twilio.Settings), smtpFailRecipients: "^bounce@");
        await service.PublishAsync(
            BusinessEvents.Binary("bounces", "ticket.closed", Person("p1", "bounce@example.com", "+4915112345671"), ServiceUnderTest.Start),
            BusinessEvents.Binary("no-email", "ticket.closed", Person("p2", null, "+4915112345672"), ServiceUnderTest.Start),
            BusinessEvents.Binary("likes-sms", "case.resolved", Person("p3", "p3@example.com", "+4915112345673", "sms"), ServiceUnderTest.Start),
            BusinessEvents.Binary("likes-mail", "case.resolved", Person("p4", "p4@example.com", "+4915112345674", "email"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 4);

        (await service.ScalarAsync<string>("select channel from invitations where event_id = 'bounces'")).ShouldBe("sms");
        // One failed email attempt (550), then the SMS.
        (await service.ScalarAsync<int>("select attempts from invitations where event_id = 'bounces'")).ShouldBe(2);
        (await service.ScalarAsync<long>("select count(*) from invitations where event_id = 'bounces' and failure_reason is null")).ShouldBe(1);
        (await service.ScalarAsync<string>("select detail from decisions where event_id = 'no-email'")).ShouldStartWith("sms (no email address, falling back to sms): send at");
        (await service.ScalarAsync<string>("select channel from invitations where event_id = 'likes-sms'")).ShouldBe("sms");
        (await service.ScalarAsync<string>("select channel from invitations where event_id = 'likes-mail'")).ShouldBe("email");

        twilio.Messages.Select(m => m.To).Order().ShouldBe(["+4915112345671", "+4915112345672", "+4915112345673"]);
        twilio.Messages.ShouldAllBe(m => m.Body == "Bo, 0-10: would you recommend Acme support? Reply STOP to opt out.");
        (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).Single().To.ToString().ShouldContain("p4@example.com");
    }
}
