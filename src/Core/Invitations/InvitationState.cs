namespace NpsTriggers.Core.Invitations;

/// <summary>
/// The states of an invitation, as the <c>invitations.state</c> column holds them (migration 0001's check constraint):
///
/// <code>
/// scheduled ──claim──▶ sending ──accepted──▶ sent ──answer──▶ answered
///     │                   ├─ permanent failure ─▶ failed
///     │                   ├─ suppressed / throttled ─▶ suppressed
///     │                   ├─ remembered cancel ─▶ cancelled
///     │                   └─ transient failure ─▶ scheduled (backoff)
///     └── cancelOn event ─▶ cancelled            sent ──expiry──▶ expired
///                                                sent ──later hard bounce──▶ failed, or scheduled as an SMS (email-then-sms)
/// </code>
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

    /// <summary>The person answered (a score, by any channel).</summary>
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

    /// <summary>Every state, in the order of the diagram.</summary>
    public static IReadOnlyList<string> All { get; } = [Scheduled, Sending, Sent, Answered, Cancelled, Expired, Suppressed, Failed];
}
