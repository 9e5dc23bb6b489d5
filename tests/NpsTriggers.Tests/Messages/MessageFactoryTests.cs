using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Dispatch.Email;
using NpsTriggers.Dispatch.Messages;

namespace NpsTriggers.Tests.Messages;

public sealed class MessageFactoryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 16, 8, 0, 0, TimeSpan.Zero);

    private static readonly Invitation Anna = new(Guid.Parse("0194f3a2-0000-7000-8000-00000000abcd"), "/shop", "evt-1", "order.delivered",
        "delivered", "delivery", InvitationChannel.Email, "c-1", "anna@example.com", "+4915112345678", "Anna", null, "Europe/Berlin",
        """{"orderId": "1234", "total": 42.5}""", TimeSpan.FromDays(14));

    private static TextTemplate T(string source) => TextTemplate.TryParse(source, out var error) ?? throw new ArgumentException(error);

    private static readonly SurveyDefinition Survey = new("delivery",
        new SurveyTexts(T("{{ recipient.name }}, how was order #{{ data.orderId }}?"), T("Thanks, {{ recipient.name | default: \"friend\" }}."),
            T("How likely are you to recommend Acme?"), T("Not at all likely"), T("Extremely likely"), T("Why?")),
        Locales: new Dictionary<string, SurveyTexts>
        {
            ["de"] = new(T("{{ recipient.name }}, wie war Bestellung {{ data.orderId }}?"), T(""), T("Wie wahrscheinlich …?"), T("Gar nicht"),
                T("Äußerst"), T("Warum?"), Sms: T("Bestellung {{ data.orderId }} ({{ data.total }}): Antwort 0-10")),
        });

    private static MessageFactory Factory() => new(
        new EmailComposer(Options.Create(new EmailOptions { FromAddress = "surveys@acme.test", MessageIdDomain = "nps.acme.test" }), new FakeTimeProvider(Now)),
        new SurveyLinks(Options.Create(new SurveyLinkOptions { PublicBaseUrl = "https://nps.acme.test", SigningKey = Convert.ToBase64String(new byte[32]) })));

    [Fact]
    public void Email_FirstSend_ResolvesRecipientAndDataPaths()
    {
        var message = Factory().Email(Anna, Survey, Now.AddDays(14), reminder: 0);
        message.Subject.ShouldBe("Anna, how was order #1234?");
        message.TextBody.ShouldStartWith("Thanks, Anna.");
        message.MessageId.ShouldBe($"{Anna.Id:N}@nps.acme.test");
    }

    [Fact]
    public void Email_Reminder_SaysReminderAndHasItsOwnMessageId()
    {
        var message = Factory().Email(Anna, Survey, Now.AddDays(14), reminder: 2);
        message.Subject.ShouldBe("Reminder: Anna, how was order #1234?");
        message.MessageId.ShouldBe($"{Anna.Id:N}.r2@nps.acme.test");
    }

    [Fact]
    public void Email_MissingValue_RendersTheDefault()
    {
        var message = Factory().Email(Anna with { Name = null }, Survey, Now.AddDays(14), reminder: 0);
        message.TextBody.ShouldStartWith("Thanks, friend.");
    }

    [Fact]
    public void Sms_NoSmsTemplate_AsksForAReplyWithTheScale()
    {
        MessageFactory.Sms(Anna, Survey, reminder: 0).ShouldBe(
            "Anna, how was order #1234? How likely are you to recommend Acme? Reply with a number from 0 (Not at all likely) to 10 (Extremely likely). Reply STOP to opt out.");
    }

    [Fact]
    public void Sms_LocaleWithSmsTemplate_UsesItAndRendersNumbersAsWritten()
    {
        MessageFactory.Sms(Anna with { Locale = "de-AT" }, Survey, reminder: 1).ShouldBe("Erinnerung: Bestellung 1234 (42.5): Antwort 0-10");
    }
}
