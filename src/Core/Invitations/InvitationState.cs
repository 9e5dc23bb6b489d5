namespace NpsTriggers.Core.Invitations;

/// <summary>
/// The states of an invitation, as the <c>invitations.state</c> column holds them (migration 0001's check constraint):
///
/// <code>
/// scheduled ──claim──▶ sending ──accepted──▶ sent ──answer──▶ sent + answered_at ──reminder due / expiry──▶ answered
///     │                   ├─ permanent failure ─▶ failed
///     │                   ├─ suppressed / throttled ─▶ suppressed
///     │                   ├─ remembered cancel ─▶ cancelled
///     │                   └─ transient failure ─▶ scheduled (backoff)
///     └── cancelOn event ─▶ cancelled            sent ──expiry──▶ expired
///                                                sent ──later hard bounce──▶ failed, or scheduled as an SMS (email-then-sms)
/// </code>
///
/// An answer writes no indexed column (issue 21): it sets <c>answered_at</c> and leaves <c>state</c> at <c>sent</c>, so
/// its update is heap-only (HOT) and adds no index entry, where a change of <c>state</c> added one to every index of
/// the table (several are partial on <c>state</c>). A <c>sent</c> row with <c>answered_at</c> is therefore answered;
/// every transition out of <c>sent</c> excludes it (<c>and answered_at is null</c>), and the sweeps complete its
/// move to <c>answered</c> when its reminder falls due or its links expire, so it then leaves the partial indexes of
/// open invitations. No index may name <c>answered_at</c>, or answers stop being HOT. What is shown as the state
/// (metrics, exports, API outcomes) is <see cref="EffectiveSql"/>, never the column (docs/ARCHITECTURE.md,
/// "Invitations: a state machine").
///
/// SQL and C# use these constants alone, never the words themselves, so a state cannot be misspelt in one place.
/// In SQL, interpolate them quoted: <c>state = '{InvitationState.Sent}'</c>.
/// </summary>
public static class InvitationState
{
    /// <summary>Waiting for its due time (and, after a transient failure, for its backoff).</summary>
    public const string Scheduled = "scheduled";

    /// <summary>Claimed by a send job run under a lease (<c>claim_id</c>, <c>claimed_until</c>).</summary>
    public const string Sending = "sending";

    /// <summary>The provider accepted it; its links answer until <c>expires_at</c>, reminders may follow.</summary>
    public const string Sent = "sent";

    /// <summary>
    /// The person answered (a score, by any channel). An answer itself only sets <c>answered_at</c>; the column moves
    /// here when a sweep meets the answered row (reminder due, links expired). Read it through <see cref="EffectiveSql"/>.
    /// </summary>
    public const string Answered = "answered";

    /// <summary>A cancelling event (<c>cancelOn</c>) came before the send.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Sent and not answered before its links expired.</summary>
    public const string Expired = "expired";

    /// <summary>Not sent: the address is on the suppression list, or the recontact throttle held it back.</summary>
    public const string Suppressed = "suppressed";

    /// <summary>Not sent, for good: a permanent provider error, an unusable contact, attempts used up, or a hard bounce that
    /// came back after the relay had accepted the email (docs/EMAIL.md).</summary>
    public const string Failed = "failed";

    /// <summary>
    /// The state as users see it, in SQL: a <c>sent</c> row with <c>answered_at</c> is <c>answered</c>. The one place
    /// this rule is written; use it wherever a state is shown or decides an outcome. <paramref name="alias"/> qualifies
    /// the columns (<c>"i"</c> gives <c>i.state</c>), for statements where another table has the same names.
    /// </summary>
    public static string EffectiveSql(string? alias = null)
    {
        var p = alias is null ? "" : alias + ".";
        return $"(case when {p}state = '{Sent}' and {p}answered_at is not null then '{Answered}' else {p}state end)";
    }

    /// <summary>Every state, in the order of the diagram.</summary>
    public static IReadOnlyList<string> All { get; } = [Scheduled, Sending, Sent, Answered, Cancelled, Expired, Suppressed, Failed];
}
