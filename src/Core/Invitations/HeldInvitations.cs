namespace NpsTriggers.Core.Invitations;

/// <summary>SQL shared by every writer that fails an invitation for good: Dispatch (a refused send) and Ingest (a later bounce).</summary>
public static class HeldInvitations
{
    /// <summary>
    /// CTEs that follow one named <c>failed</c> (returning the ids of invitations that just failed for good): invitations
    /// those throttled go back to scheduled, due now, and each gets a <c>released</c> decision. They pass the throttle
    /// again at their send, against the contacts that did happen.
    /// </summary>
    public const string ReleaseSql = $"""
        released as (
            update invitations h set state = '{InvitationState.Scheduled}', due_at = @now, suppressed_at = null, throttled_by = null,
                                     failure_reason = null, claimed_until = null
            from failed f
            where h.throttled_by = f.id and h.state = '{InvitationState.Suppressed}'
            returning h.id, h.event_source, h.event_id, h.event_type, h.rule, h.customer_id, h.email, h.phone, f.id as failed_id),
        released_decisions as (
            insert into decisions (event_source, event_id, event_type, rule, customer_id, email, phone, invitation_id, outcome, detail, at)
            select event_source, event_id, event_type, rule, customer_id, email, phone, id, 'released',
                   'invitation ' || failed_id || ', which throttled this one, failed for good, so it was no contact; due again now', @now
            from released)
        """;
}
