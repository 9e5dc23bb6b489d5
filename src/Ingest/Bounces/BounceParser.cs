using MimeKit;
using NpsTriggers.Core.Email;

namespace NpsTriggers.Ingest.Bounces;

/// <summary>
/// Reads one message of the bounce mailbox by its structure alone, never its free text: a <c>multipart/report</c> with
/// <c>message/delivery-status</c> (RFC 3464) is a bounce or a delay, one with <c>message/feedback-report</c> (RFC 5965) a
/// complaint, a message marked <c>Auto-Submitted: auto-replied</c> (RFC 3834) is ignored, anything else is unreadable.
/// The invitation comes from the per-invitation return path the report was sent to (<see cref="ReturnPath"/>), or from the
/// quoted original message's Return-Path or Message-Id (feedback loops write to their own registered address).
/// </summary>
public static class BounceParser
{
    // Where MTAs record the envelope recipient on delivery (Postfix, Exim, Dovecot LDA); To: is what the DSN's author wrote.
    private static readonly string[] RecipientHeaders = ["Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To"];

    public static BounceReport Parse(Stream raw, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(raw);
        MimeMessage message;
        try
        {
            message = MimeMessage.Load(raw, cancellationToken);
        }
        catch (FormatException e)
        {
            return new BounceReport(BounceKind.Unreadable, null, 0, null, $"not a MIME message: {e.Message}");
        }
        return Parse(message);
    }

    public static BounceReport Parse(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Body is MultipartReport report)
        {
            var (id, reminder) = FindInvitation(message, report);
            if (report.OfType<MessageDeliveryStatus>().FirstOrDefault() is { } dsn)
                return Delivery(dsn, id, reminder);
            if (report.OfType<MessageFeedbackReport>().FirstOrDefault() is { } feedback)
                return Feedback(feedback.Fields, id, reminder);
            return new BounceReport(BounceKind.Ignored, id, reminder, null, $"report type {report.ReportType ?? "(none)"} is neither a DSN nor a feedback report");
        }
        if (IsAutoReply(message))
            return new BounceReport(BounceKind.Ignored, null, 0, null, "auto-reply (RFC 3834)");
        var type = message.Body?.ContentType.MimeType ?? "(no body)";
        return new BounceReport(BounceKind.Unreadable, null, 0, null,
            $"{type} is not a delivery status notification (RFC 3464) or feedback report (RFC 5965)");
    }

    private static BounceReport Delivery(MessageDeliveryStatus dsn, Guid? id, int reminder)
    {
        // StatusGroups[0] holds the per-message fields; each further group one recipient (RFC 3464 §2.3).
        var recipients = dsn.StatusGroups.Skip(1).ToList();
        if (recipients.Count == 0)
            return new BounceReport(BounceKind.Unreadable, id, reminder, null, "delivery status report names no recipient");
        var failed = recipients.FirstOrDefault(r => Is(r, "Action", "failed") || Status(r)?.StartsWith('5') == true);
        if (failed is not null)
            return new BounceReport(BounceKind.Permanent, id, reminder, Status(failed) ?? "5.0.0", Describe(failed));
        var delayed = recipients.FirstOrDefault(r => Is(r, "Action", "delayed") || Status(r)?.StartsWith('4') == true);
        if (delayed is not null)
            return new BounceReport(BounceKind.Transient, id, reminder, Status(delayed) ?? "4.0.0", Describe(delayed));
        var action = recipients[0]["Action"]?.Trim() ?? "(none)";
        return new BounceReport(BounceKind.Ignored, id, reminder, Status(recipients[0]), $"delivery status report with action {action}");
    }

    private static BounceReport Feedback(HeaderList fields, Guid? id, int reminder)
    {
        var type = fields["Feedback-Type"]?.Trim().ToLowerInvariant() ?? "";
        // abuse, fraud and virus say "this is unwanted"; not-spam and other say nothing against the address (RFC 5965 §7.3).
        return type is "abuse" or "fraud" or "virus"
            ? new BounceReport(BounceKind.Complaint, id, reminder, null, $"feedback report: {type}")
            : new BounceReport(BounceKind.Ignored, id, reminder, null, $"feedback report of type {(type.Length == 0 ? "(none)" : type)}");
    }

    private static (Guid? Id, int Reminder) FindInvitation(MimeMessage message, MultipartReport report)
    {
        foreach (var name in RecipientHeaders)
            foreach (var header in message.Headers.Where(h => h.Field.Equals(name, StringComparison.OrdinalIgnoreCase)))
                foreach (var address in Addresses(header.Value))
                    if (ReturnPath.TryParse(address, out var id, out var reminder))
                        return (id, reminder);
        var original = OriginalHeaders(report);
        if (original is not null)
        {
            if (ReturnPath.TryParse(original["Return-Path"], out var id, out var reminder))
                return (id, reminder);
            if (ReturnPath.TryParseMessageId(original["Message-Id"], out id, out reminder))
                return (id, reminder);
        }
        return (null, 0);
    }

    /// <summary>The bounced message's headers: a <c>message/rfc822</c> part, or <c>text/rfc822-headers</c> (RFC 6522), or the
    /// <c>message/rfc822-headers</c> some relays write instead.</summary>
    private static HeaderList? OriginalHeaders(MultipartReport report)
    {
        foreach (var part in report.Skip(1))
        {
            if (part is MessagePart { Message: { } quoted })
                return quoted.Headers;
            if (part is MimePart { Content: { } content } && part.ContentType.MimeType.EndsWith("/rfc822-headers", StringComparison.OrdinalIgnoreCase))
            {
                using var stream = content.Open();
                try
                {
                    return HeaderList.Load(stream);
                }
                catch (FormatException)
                {
                    return null;
                }
            }
        }
        return null;
    }

    private static IEnumerable<string> Addresses(string value) =>
        InternetAddressList.TryParse(value, out var list) ? list.Mailboxes.Select(m => m.Address) : [value];

    private static bool IsAutoReply(MimeMessage message)
    {
        var auto = message.Headers["Auto-Submitted"]?.Trim();
        if (auto is not null && !auto.StartsWith("no", StringComparison.OrdinalIgnoreCase))
            return true;
        // Widespread before RFC 3834 and still sent by some vacation responders.
        return message.Headers.Contains("X-Autoreply") || message.Headers.Contains("X-Autorespond")
               || string.Equals(message.Headers["Precedence"]?.Trim(), "auto_reply", StringComparison.OrdinalIgnoreCase);
    }

    private static bool Is(HeaderList fields, string field, string value) =>
        string.Equals(fields[field]?.Trim(), value, StringComparison.OrdinalIgnoreCase);

    /// <summary>The enhanced status code (RFC 3463 <c>class.subject.detail</c>), without any comment after it.</summary>
    private static string? Status(HeaderList fields)
    {
        var status = fields["Status"]?.Trim();
        if (string.IsNullOrEmpty(status))
            return null;
        var end = status.IndexOfAny([' ', '\t', '(']);
        return end < 0 ? status : status[..end];
    }

    private static string Describe(HeaderList fields)
    {
        var diagnostic = fields["Diagnostic-Code"];
        var text = diagnostic is null ? $"status {Status(fields)}" : $"{Status(fields)} {string.Join(' ', diagnostic.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()))}";
        return text.Length > 500 ? text[..500] : text;
    }
}
