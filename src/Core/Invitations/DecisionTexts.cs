using System.Globalization;

namespace NpsTriggers.Core.Invitations;

/// <summary>
/// The decision log's words for what happens after intake (docs/RULES.md, "What the decision log says"): each outcome
/// word once, and the detail text that names its reason. Writers in Dispatch, Triggers and Ingest use these, so the
/// table in the docs, <c>/api/decisions</c> and <c>rules simulate</c> say the same thing.
/// </summary>
public static class DecisionTexts
{
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Retrying = "retrying";
    public const string Deferred = "deferred";
    public const string FellBackToSms = "fell_back_to_sms";
    public const string Expired = "expired";
    public const string ReminderSent = "reminder_sent";
    public const string ReminderSkipped = "reminder_skipped";
    public const string DeadLettered = "dead_lettered";

    /// <summary><c>sms sent; provider message id SM…</c></summary>
    public static string SentDetail(InvitationChannel channel, string messageId) =>
        $"{channel.Column()} sent; provider message id {messageId}";

    /// <summary>An earlier run's send the provider confirmed through its status callback, recorded without sending again.</summary>
    public static string ReconciledDetail(InvitationChannel channel, string messageId) =>
        $"{channel.Column()} sent (confirmed by the provider's status callback after the send run stopped); provider message id {messageId}";

    /// <summary>A refusal that retrying cannot help, or the last of <paramref name="attempts"/> attempts.</summary>
    public static string FailedDetail(InvitationChannel channel, string reason, bool permanent, int attempts) => permanent
        ? $"{channel.Column()} failed for good: {reason}"
        : $"{channel.Column()} failed, given up after {attempts.ToString(CultureInfo.InvariantCulture)} attempts: {reason}";

    /// <summary>Nothing can go out on the channel (no address, survey removed, …): failed without a provider call.</summary>
    public static string UnsendableDetail(InvitationChannel channel, string reason) => $"{channel.Column()} cannot be sent: {reason}";

    /// <summary>A transient refusal: attempt <paramref name="attempt"/> of <paramref name="maxAttempts"/>; the due time is appended in SQL.</summary>
    public static string RetryingDetail(InvitationChannel channel, string reason, int attempt, int maxAttempts) =>
        $"{channel.Column()} attempt {attempt.ToString(CultureInfo.InvariantCulture)} of {maxAttempts.ToString(CultureInfo.InvariantCulture)} failed: {reason}";

    /// <summary>
    /// Outside the rule's send window: the opening it waits for, in the recipient's zone and in UTC
    /// (<c>outside the send window Mon-Thu 09:00-11:30; due again at 2026-11-09 09:00 Europe/London (2026-11-09 09:00Z)</c>).
    /// </summary>
    public static string WindowDetail(string window, DateTimeOffset opening, TimeZoneInfo zone, string? what = null)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = TimeZoneInfo.ConvertTime(opening, zone);
        return $"{(what is null ? "" : what + " ")}outside the send window {window}; due again at "
               + $"{local.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} {zone.Id} ({opening.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}Z)";
    }

    /// <summary>Replaced, in SQL, by the time a deferred reminder is due again.</summary>
    public const string DueMark = "{due}";

    /// <summary>A transient refusal of a reminder; <see cref="DueMark"/> becomes the time it is tried again.</summary>
    public static string ReminderRetryingDetail(InvitationChannel channel, string reason, int number, int count) =>
        $"{channel.Column()} reminder {number.ToString(CultureInfo.InvariantCulture)} of {count.ToString(CultureInfo.InvariantCulture)} failed: {reason}; due again at {DueMark}";

    /// <summary><c>email reminder 1 of 2 sent; provider message id …</c></summary>
    public static string ReminderSentDetail(InvitationChannel channel, int number, int count, string messageId) =>
        $"{channel.Column()} reminder {number.ToString(CultureInfo.InvariantCulture)} of {count.ToString(CultureInfo.InvariantCulture)} sent; provider message id {messageId}";

    /// <summary><c>reminder 1 of 2 not sent: …; no more reminders</c></summary>
    public static string ReminderSkippedDetail(int number, int count, string why) =>
        $"reminder {number.ToString(CultureInfo.InvariantCulture)} of {count.ToString(CultureInfo.InvariantCulture)} not sent: {why}; no more reminders";

    /// <summary>Why a claimed reminder cannot go out, from what its claim read back (null when it can, as far as the row tells).</summary>
    public static string? ReminderBlocked(Invitation invitation, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        if (invitation.Suppressed)
            return $"{invitation.Channel.Column()} address is on the suppression list: {invitation.SuppressionEntry}";
        if (invitation.RememberedCancel is { } cancelledBy)
            return $"cancelled by {cancelledBy}";
        if (invitation.ExpiresAt is not { } expiresAt)
            return "the invitation has no expiry (it was never recorded as sent)";
        if (expiresAt <= now)
            return $"its links expired at {Utc(expiresAt)}";
        return null;
    }

    /// <summary>A record that could not become an event: where it was read and why it was kept aside.</summary>
    public static string DeadLetteredDetail(string topic, int partition, long offset, string reason) =>
        $"dead-lettered {topic}/{partition.ToString(CultureInfo.InvariantCulture)}@{offset.ToString(CultureInfo.InvariantCulture)}: {reason}";

    /// <summary>A time as every decision writes it: <c>2026-11-16 08:00Z</c>.</summary>
    public static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z";

    /// <summary>The same, in SQL over a <c>timestamptz</c> expression, for decisions written in one statement with their change.</summary>
    public static string UtcSql(string expression) => $"to_char(({expression}) at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || 'Z'";
}
