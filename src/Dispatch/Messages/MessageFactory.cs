using MimeKit;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Localization;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Dispatch.Email;

namespace NpsTriggers.Dispatch.Messages;

/// <summary>
/// Composes every survey message, email and SMS, first send and reminder, from the send rules' texts in the invitation's
/// locale with its template paths resolved. The send jobs and <c>rules preview</c> both call it, so a preview shows what
/// goes out. Texts render as plain text (Liquid, values from <see cref="TemplateValues"/>); the email's HTML part escapes them.
/// The service's own words (the reminder prefix, the SMS instructions) are in the recipient's language
/// (<see cref="MessageTexts"/>) even when the rules have no translation for it.
/// </summary>
public sealed class MessageFactory(EmailComposer composer, SurveyLinks links)
{
    /// <summary>The survey email (<paramref name="reminder"/> 0) or its n-th reminder, its links valid until <paramref name="expiresAt"/>.</summary>
    public MimeMessage Email(Invitation invitation, SurveyDefinition survey, DateTimeOffset expiresAt, int reminder)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        ArgumentNullException.ThrowIfNull(survey);
        var texts = survey.Texts(invitation.Locale);
        var resolve = TemplateValues.For(invitation);
        var subject = texts.Subject.Render(resolve);
        var own = MessageTexts.For(invitation.Locale);
        return composer.Compose(new SurveyEmail(
            invitation.Id,
            invitation.Email ?? throw new ArgumentException($"Invitation {invitation.Id} has no email address.", nameof(invitation)),
            invitation.Name,
            reminder == 0 ? subject : own.ReminderPrefix + subject,
            texts.Intro.Render(resolve),
            texts.Question.Render(resolve),
            texts.LowLabel.Render(resolve),
            texts.HighLabel.Render(resolve),
            invitation.Locale ?? "en",
            links.Scores(invitation.Id, expiresAt),
            links.Unsubscribe(invitation.Id, expiresAt),
            reminder));
    }

    /// <summary>The survey SMS (<paramref name="reminder"/> 0) or its n-th reminder: the question and how to answer by reply.</summary>
    public static string Sms(Invitation invitation, SurveyDefinition survey, int reminder)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        ArgumentNullException.ThrowIfNull(survey);
        var texts = survey.Texts(invitation.Locale);
        var resolve = TemplateValues.For(invitation);
        var own = MessageTexts.For(invitation.Locale);
        var body = texts.Sms is { } template
            ? template.Render(resolve)
            : $"{texts.Subject.Render(resolve)} {texts.Question.Render(resolve)} "
              + MessageTexts.Fill(own.SmsInstructions, ("low", texts.LowLabel.Render(resolve)), ("high", texts.HighLabel.Render(resolve)));
        return (reminder > 0 ? own.ReminderPrefix : "") + body;
    }
}
