using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using MimeKit;
using NpsTriggers.Core.Email;
using NpsTriggers.Core.Localization;

namespace NpsTriggers.Dispatch.Email;

/// <summary>
/// Lays out a survey email: multipart/alternative text + HTML, eleven one-click score links, RFC 8058 one-click
/// unsubscribe headers and a Message-Id derived from the invitation, so a retried send carries the same id and
/// receivers can drop the duplicate, and a per-invitation return path (<see cref="ReturnPath"/>) for bounces. Its own words
/// (unsubscribe, the score links' names) are in the recipient's language, and the HTML says which (<c>lang</c>) and which way
/// it runs (<c>dir</c>, right to left for Arabic and Hebrew).
/// </summary>
public sealed class EmailComposer(IOptions<EmailOptions> options, TimeProvider time)
{
    public MimeMessage Compose(SurveyEmail email)
    {
        ArgumentNullException.ThrowIfNull(email);
        if (email.ScoreLinks.Count != 11)
            throw new ArgumentException($"A survey email needs 11 score links (0-10), got {email.ScoreLinks.Count}.", nameof(email));
        var settings = options.Value;
        var message = new MimeMessage
        {
            Subject = email.Subject,
            Date = time.GetUtcNow(),
            MessageId = email.Reminder == 0
                ? $"{email.InvitationId:N}@{settings.MessageIdDomain}"
                : $"{email.InvitationId:N}.r{email.Reminder}@{settings.MessageIdDomain}",
        };
        message.From.Add(new MailboxAddress(settings.FromName, settings.FromAddress));
        // The envelope sender (VERP, docs/EMAIL.md): a later bounce names the invitation in its recipient address. The SMTP
        // transport sends it as MAIL FROM and leaves the header out (RFC 5321 §4.4: the delivering MTA adds Return-Path).
        message.Headers.Add(HeaderId.ReturnPath, $"<{ReturnPath.Format(email.InvitationId, email.Reminder, settings.EffectiveReturnPathDomain)}>");
        message.To.Add(new MailboxAddress(email.ToName ?? "", email.ToAddress));
        // RFC 8058: the URI must be https in production and the POST alone unsubscribes.
        message.Headers.Add(HeaderId.ListUnsubscribe, $"<{email.UnsubscribeLink}>");
        message.Headers.Add(HeaderId.ListUnsubscribePost, "List-Unsubscribe=One-Click");
        var body = new BodyBuilder { TextBody = Text(email), HtmlBody = Html(email) };
        message.Body = body.ToMessageBody();
        return message;
    }

    private static string Text(SurveyEmail email)
    {
        var text = new StringBuilder();
        if (!string.IsNullOrWhiteSpace(email.Intro))
            text.AppendLine(email.Intro).AppendLine();
        text.AppendLine(email.Question).AppendLine();
        for (var score = 0; score <= 10; score++)
        {
            var label = score == 0 ? $" ({email.LowLabel})" : score == 10 ? $" ({email.HighLabel})" : "";
            text.AppendLine(CultureInfo.InvariantCulture, $"{score}{label}: {email.ScoreLinks[score]}");
        }
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"{MessageTexts.For(email.Locale).Unsubscribe}: {email.UnsubscribeLink}");
        return text.ToString();
    }

    private static string Html(SurveyEmail email)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var own = MessageTexts.For(email.Locale);
        var language = CustomerLanguages.For(email.Locale);
        // Older mail clients ignore text-align:end, so the far end of the scale is named by side.
        var farSide = CustomerLanguages.IsRightToLeft(language) ? "left" : "right";
        var cells = new StringBuilder();
        for (var score = 0; score <= 10; score++)
            cells.Append(CultureInfo.InvariantCulture,
                $"""<td style="padding:2px"><a href="{E(email.ScoreLinks[score].ToString())}" aria-label="{E(MessageTexts.Fill(own.ScoreOutOfTen, ("score", score.ToString(CultureInfo.InvariantCulture))))}" style="display:block;min-width:28px;padding:10px 0;text-align:center;background:#0b57d0;color:#ffffff;text-decoration:none;border-radius:4px;font:bold 16px sans-serif">{score}</a></td>""");
        return $"""
            <!doctype html>
            <html lang="{E(language)}" dir="{CustomerLanguages.Direction(language)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
            <body style="margin:0;padding:16px;font:16px/1.5 sans-serif;color:#1a1a1a">
            {(string.IsNullOrWhiteSpace(email.Intro) ? "" : $"<p>{E(email.Intro)}</p>")}
            <p style="font-weight:bold">{E(email.Question)}</p>
            <table role="presentation" cellspacing="0" cellpadding="0"><tr>{cells}</tr></table>
            <table role="presentation" width="100%"><tr><td style="font-size:13px">{E(email.LowLabel)}</td><td style="font-size:13px;text-align:{farSide}">{E(email.HighLabel)}</td></tr></table>
            <p style="font-size:12px;color:#555"><a href="{E(email.UnsubscribeLink.ToString())}" style="color:#555">{E(own.Unsubscribe)}</a></p>
            </body></html>
            """;
    }
}
