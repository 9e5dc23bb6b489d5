using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Localization;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Dispatch.Email;
using NpsTriggers.Dispatch.Messages;
using NpsTriggers.Dispatch.Sms;

namespace NpsTriggers.Tests.Messages;

/// <summary>Every message, in every built-in language, through the shipped sample rules (which translate the survey into all of them).</summary>
public sealed class LocalisedMessagesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 16, 8, 0, 0, TimeSpan.Zero);

    private static readonly SurveyDefinition Delivery =
        SendRulesLoader.Load(Path.Combine(AppContext.BaseDirectory, "send-rules.yaml")).Surveys["delivery"];

    /// <summary>English chrome that must not leak into another language's message.</summary>
    private static readonly string[] EnglishChrome =
    [
        "Reminder", "Unsubscribe", "out of 10", "Reply", "opt out", "Not at all likely", "Extremely likely", "main reason", "Thank you",
    ];

    public static TheoryData<string> Languages => [.. CustomerLanguages.Supported];

    private static Invitation Recipient(string locale) => new(Guid.Parse("0194f3a2-0000-7000-8000-00000000abcd"), "/shop", "evt-1",
        "order.delivered", "order-delivered-email", "delivery", InvitationChannel.Email, "c-1", "anna@example.com", "+4915112345678", "Anna",
        locale, "Europe/Berlin", """{"orderId": "1234", "product": "Tea"}""", TimeSpan.FromDays(14));

    private static MessageFactory Factory() => new(
        new EmailComposer(Options.Create(new EmailOptions { FromAddress = "surveys@acme.test", MessageIdDomain = "nps.acme.test" }), new FakeTimeProvider(Now)),
        new SurveyLinks(Options.Create(new SurveyLinkOptions { PublicBaseUrl = "https://nps.acme.test", SigningKey = Convert.ToBase64String(new byte[32]) })));

    [Theory]
    [MemberData(nameof(Languages))]
    public void Email_ReminderInEachLanguage_HasItsPrefixLangDirAndUnsubscribe(string language)
    {
        var own = MessageTexts.For(language);
        var first = Factory().Email(Recipient(language), Delivery, Now.AddDays(14), reminder: 0);
        var reminder = Factory().Email(Recipient(language), Delivery, Now.AddDays(14), reminder: 1);

        reminder.Subject.ShouldBe(own.ReminderPrefix + first.Subject);
        reminder.HtmlBody!.ShouldContain($"""<html lang="{language}" dir="{(language is "ar" or "he" ? "rtl" : "ltr")}">""");
        reminder.HtmlBody!.ShouldContain($">{System.Net.WebUtility.HtmlEncode(own.Unsubscribe)}</a>");
        reminder.HtmlBody!.ShouldContain($"aria-label=\"{System.Net.WebUtility.HtmlEncode(MessageTexts.Fill(own.ScoreOutOfTen, ("score", "7")))}\"");
        reminder.TextBody!.ShouldContain($"{own.Unsubscribe}: https://nps.acme.test/u/");
        reminder.TextBody!.ShouldContain($" ({own.LowLabel}): ");
        if (language != "en")
            NoEnglishChrome(language, reminder.Subject!, reminder.TextBody!, reminder.HtmlBody!);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void Sms_DefaultReminderInEachLanguage_IsTranslatedAndStaysWithinItsSegmentBudget(string language)
    {
        var own = MessageTexts.For(language);
        var body = MessageFactory.Sms(Recipient(language), Delivery, reminder: 0);
        var reminder = MessageFactory.Sms(Recipient(language), Delivery, reminder: 1);

        body.ShouldEndWith(MessageTexts.Fill(own.SmsInstructions, ("low", own.LowLabel), ("high", own.HighLabel)));
        body.ShouldContain("STOP", Case.Sensitive);
        reminder.ShouldBe(own.ReminderPrefix + body);
        // The shipped survey's subject and question, the instructions and the reminder prefix: two GSM-7 segments (306
        // characters), or four UCS-2 ones (268), about the same reading length; English takes 195 characters.
        var (segments, encoding) = SmsText.Segments(reminder);
        segments.ShouldBeLessThanOrEqualTo(encoding == "GSM-7" ? 2 : 4, $"{language}: {reminder.Length} characters, {encoding}");
        if (language != "en")
            NoEnglishChrome(language, reminder);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void SmsInstructions_EachLanguage_LeaveMostOfTheSmsToTheSurvey(string language)
    {
        var own = MessageTexts.For(language);
        var instructions = MessageTexts.Fill(own.SmsInstructions, ("low", own.LowLabel), ("high", own.HighLabel));
        // The instructions ride along with the survey's own words: with the built-in labels, at most 130 GSM-7 characters
        // (of a two-segment 306) or 110 UCS-2 ones (of a four-segment 268).
        var (_, encoding) = SmsText.Segments(instructions);
        instructions.Length.ShouldBeLessThanOrEqualTo(encoding == "GSM-7" ? 130 : 110, $"{language}: {instructions}");
    }

    [Fact]
    public void Email_UnresolvableLocale_SpeaksEnglishLeftToRight()
    {
        var message = Factory().Email(Recipient("sr-Latn-RS"), Delivery, Now.AddDays(14), reminder: 1);
        message.Subject.ShouldStartWith("Reminder: Anna, how was order #1234?");
        message.HtmlBody!.ShouldContain("""<html lang="en" dir="ltr">""");
    }

    [Fact]
    public void Email_RegionalChineseTag_UsesTheScriptsTranslationAndChrome()
    {
        var simplified = Factory().Email(Recipient("zh-CN"), Delivery, Now.AddDays(14), reminder: 1);
        var traditional = Factory().Email(Recipient("zh-TW"), Delivery, Now.AddDays(14), reminder: 1);
        simplified.Subject.ShouldBe("提醒：Anna，您对订单 #1234 满意吗？");
        simplified.TextBody!.ShouldContain("退订: https://");
        traditional.Subject.ShouldBe("提醒：Anna，您對訂單 #1234 滿意嗎？");
        traditional.HtmlBody!.ShouldContain("""<html lang="zh-Hant" dir="ltr">""");
    }

    [Fact]
    public void Email_RightToLeft_PutsTheHighLabelOnTheLeft()
    {
        var html = Factory().Email(Recipient("ar"), Delivery, Now.AddDays(14), reminder: 0).HtmlBody!;
        html.ShouldContain($"text-align:left\">{MessageTexts.For("ar").HighLabel}</td>");
    }

    private static void NoEnglishChrome(string language, params string[] parts)
    {
        foreach (var part in parts)
            foreach (var english in EnglishChrome)
                part.ShouldNotContain(english, Case.Sensitive, $"{language}: '{english}' in {part}");
    }
}
