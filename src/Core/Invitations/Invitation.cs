namespace NpsTriggers.Core.Invitations;

/// <summary>
/// One survey invitation, as the <c>invitations</c> table holds it: the one row type for the whole path. Intake plans
/// it (the positional part, <see cref="DueAt"/>, <see cref="Correlation"/>, <see cref="Reminders"/>); a send job reads
/// it back under a claim with what has happened to it since (<see cref="Run"/>, <see cref="Attempts"/>, …).
/// </summary>
/// <param name="AttributesJson">The kept event fields (<c>data.*</c>) as a JSON object.</param>
/// <param name="ValidFor">How long its links answer after the send.</param>
public sealed record Invitation(
    Guid Id,
    string EventSource,
    string EventId,
    string EventType,
    string Rule,
    string Survey,
    InvitationChannel Channel,
    string? CustomerId,
    string? Email,
    string? Phone,
    string? Name,
    string? Locale,
    string? TimeZone,
    string AttributesJson,
    TimeSpan ValidFor)
{
    /// <summary>When the first send falls due (intake's plan).</summary>
    public DateTimeOffset DueAt { get; init; }

    /// <summary>The value a cancelling event is matched on (<c>cancelOn</c>), when the rule has one.</summary>
    public string? Correlation { get; init; }

    /// <summary>Reminders planned at intake; after a claim, the reminders still to send.</summary>
    public int Reminders { get; init; }

    /// <summary>Reminders already sent.</summary>
    public int RemindersSent { get; init; }

    /// <summary>The time between the send (or the previous reminder) and the next reminder.</summary>
    public TimeSpan? ReminderAfter { get; init; }

    /// <summary>The W3C trace context of its last step (the consume span), so the send continues the event's trace.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The token of the send job run holding it; every transition of a claimed invitation is guarded by it.</summary>
    public Guid Run { get; init; }

    /// <summary>Provider calls made for it so far (a re-claimed lapsed lease counts as one).</summary>
    public int Attempts { get; init; }

    /// <summary>When its links stop answering (set by the send).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The suppression-list entry for its address (why and since when), if it is on the list.</summary>
    public string? SuppressionEntry { get; init; }

    /// <summary>
    /// The message id the provider reported (Twilio's status callback) for an earlier run's send that was never
    /// confirmed: the provider has the message, so the run records it as sent instead of sending again.
    /// </summary>
    public string? AcceptedMessageId { get; init; }

    /// <summary>
    /// A cancelling event remembered for its rule and correlation (<c>"order.returned /shop evt-9"</c>) that its intake
    /// did not see, because the two were committed at the same time: nothing is sent, and no reminder.
    /// </summary>
    public string? RememberedCancel { get; init; }

    /// <summary>Whether the address is on the suppression list.</summary>
    public bool Suppressed => SuppressionEntry is not null;
}
