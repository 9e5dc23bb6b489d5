using Npgsql;
using NpgsqlTypes;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Dispatch.Invitations;

/// <summary>
/// The dispatcher's transitions of a claimed invitation. Each one is guarded by the state it leaves (an
/// <see cref="InvitationState"/>) and by the run token of the job run holding it (<c>where state = 'sending' and
/// claim_id = @run</c>), so a job that runs twice, or late, neither sends again nor changes what the run that holds the
/// claim settles. Taking and renewing the claim is <see cref="InvitationClaims"/>'s. A reminder's transitions also
/// require <c>answered_at is null</c>: an answer leaves the state <c>sent</c> (<see cref="InvitationState"/>), and one that
/// lands while a reminder is being prepared stops it at the next of them (the renewal right before the provider call).
/// </summary>
public sealed class InvitationStore(NpgsqlDataSource dataSource, TimeProvider time, Microsoft.Extensions.Options.IOptions<DispatchOptions> options)
{
    public Task<bool> RenewReminderAsync(Invitation invitation, CancellationToken cancellationToken) =>
        TransitionAsync($"""
            update invitations set remind_at = @now + @lease
            where id = @id and state = '{InvitationState.Sent}' and answered_at is null and reminders_left > 0 and claim_id = @run
            """, invitation, cancellationToken, ("lease", options.Value.ClaimLease));

    /// <summary>One accepted first send to record as <c>sent</c> (<see cref="MarkSentAsync(IReadOnlyList{SentMark}, CancellationToken)"/>).</summary>
    public sealed record SentMark(Invitation Invitation, DateTimeOffset ExpiresAt, string MessageId, DateTimeOffset? RemindAt, string Detail, string? TraceParent);

    /// <summary>
    /// The provider accepted these first sends: each invitation moves to <c>sent</c> under its own guard (state and run)
    /// with its own <c>sent</c> decision (<see cref="SentMark.Detail"/>), written in the same statement; returns the ids
    /// it moved. One statement commits them together (<see cref="Scheduling.SentCommits"/>): a process that dies before
    /// it loses at most the sends it had in flight, which it would have lost one by one just the same.
    /// </summary>
    public async Task<HashSet<Guid>> MarkSentAsync(IReadOnlyList<SentMark> marks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(marks);
        await using var command = dataSource.CreateCommand($"""
            with input as (
                select * from unnest(@ids, @runs, @expires, @messages, @reminds, @details, @traces) as t (id, run, expires, message, remind, detail, trace)),
            moved as (
                update invitations i set state = '{InvitationState.Sent}', sent_at = @now, expires_at = t.expires, message_id = t.message,
                                         trace_parent = coalesce(t.trace, i.trace_parent),
                                         claimed_until = null, attempts = i.attempts + 1, failure_reason = null,
                                         -- Status callbacks that beat this commit (kept with accepted_message_id) stay.
                                         delivery_status = case when i.accepted_message_id = t.message then i.delivery_status end,
                                         delivery_error = case when i.accepted_message_id = t.message then i.delivery_error end,
                                         accepted_message_id = null,
                                         -- A cancel that landed during the send left reminders_left at 0: no reminder then.
                                         remind_at = case when i.reminders_left > 0 then t.remind end,
                                         reminders_left = case when t.remind is null then 0 else i.reminders_left end
                from input t
                where i.id = t.id and i.state = '{InvitationState.Sending}' and i.claim_id = t.run
                returning i.id, i.event_source, i.event_id, i.event_type, i.rule, i.customer_id, i.email, i.phone, t.detail)
            {Decide(DecisionTexts.Sent, "detail")}
            returning invitation_id
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. marks.Select(m => m.Invitation.Id)]));
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("runs", [.. marks.Select(m => m.Invitation.Run)]));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("expires", [.. marks.Select(m => m.ExpiresAt)]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("messages", [.. marks.Select(m => m.MessageId)]));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?[]>("reminds", [.. marks.Select(m => m.RemindAt)]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("details", [.. marks.Select(m => m.Detail)]));
        command.Parameters.Add(new NpgsqlParameter<string?[]>("traces", [.. marks.Select(m => m.TraceParent)]));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        var moved = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            moved.Add(reader.GetGuid(0));
        return moved;
    }

    /// <summary>
    /// A permanent failure. The failed send was never a contact, so it stops counting for the recontact throttle, and
    /// whatever it throttled is released (<see cref="HeldInvitations.ReleaseSql"/>).
    /// </summary>
    /// <remarks><paramref name="detail"/> is its <c>failed</c> decision (<see cref="DecisionTexts.FailedDetail"/>), written in the same statement.</remarks>
    public async Task<bool> MarkFailedAsync(Invitation invitation, string reason, string detail, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            with failed as (
                update invitations set state = '{InvitationState.Failed}', failed_at = @now, failure_reason = @reason,
                                       claimed_until = null, attempts = attempts + 1, contacted_at = null
                where id = @id and state = '{InvitationState.Sending}' and claim_id = @run
                returning {Decided}),
            failed_decision as (
                insert into decisions (event_source, event_id, event_type, rule, customer_id, email, phone, invitation_id, outcome, detail, at)
                select event_source, event_id, event_type, rule, customer_id, email, phone, id, '{DecisionTexts.Failed}', @detail, @now from failed),
            {ReleaseHeldSql}
            select count(*) from failed
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitation.Id));
        command.Parameters.Add(new NpgsqlParameter<Guid>("run", invitation.Run));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        command.Parameters.Add(new NpgsqlParameter<string>("reason", reason));
        command.Parameters.Add(new NpgsqlParameter<string>("detail", detail));
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    /// <summary>CTEs that release what a just-failed invitation throttled (<see cref="HeldInvitations.ReleaseSql"/>).</summary>
    internal const string ReleaseHeldSql = HeldInvitations.ReleaseSql;

    /// <summary>
    /// A cancel was remembered for this invitation but committed alongside its intake, which did not see it: cancelled now,
    /// at send time, with the decision that says by what.
    /// </summary>
    public Task<bool> MarkCancelledAsync(Invitation invitation, string cancelledBy, CancellationToken cancellationToken) =>
        TransitionAsync($"""
            with moved as (
                update invitations set state = '{InvitationState.Cancelled}', cancelled_at = @now, cancelled_by = @by, claimed_until = null, contacted_at = null
                where id = @id and state = '{InvitationState.Sending}' and claim_id = @run
                returning {Decided})
            {Decide("cancelled", "'invitation ' || id || ' cancelled at send time by ' || @by")}
            """, invitation, cancellationToken, ("by", cancelledBy));

    public Task<bool> MarkSuppressedAsync(Invitation invitation, string reason, CancellationToken cancellationToken) =>
        TransitionAsync($"""
            with moved as (
                update invitations set state = '{InvitationState.Suppressed}', suppressed_at = @now, failure_reason = @reason, claimed_until = null
                where id = @id and state = '{InvitationState.Sending}' and claim_id = @run
                returning {Decided})
            {Decide("suppressed", "@reason")}
            """, invitation, cancellationToken, ("reason", reason));

    /// <summary>
    /// A transient failure: back to scheduled, due again after <paramref name="retryAfter"/>, with a <c>retrying</c>
    /// decision (<paramref name="detail"/> and the time it is due again).
    /// </summary>
    public Task<bool> RescheduleAsync(Invitation invitation, TimeSpan retryAfter, string reason, string detail, CancellationToken cancellationToken) =>
        TransitionAsync($"""
            with moved as (
            update invitations set state = '{InvitationState.Scheduled}', due_at = @now + @after, failure_reason = @reason,
                                   claimed_until = null, attempts = attempts + 1, contacted_at = null
            where id = @id and state = '{InvitationState.Sending}' and claim_id = @run
            returning {Decided}, due_at)
            {Decide(DecisionTexts.Retrying, "@detail || '; due again at ' || " + DecisionTexts.UtcSql("due_at"))}
            """, invitation, cancellationToken, ("after", retryAfter), ("reason", reason), ("detail", detail));

    /// <summary>
    /// Nothing was attempted (outside the send window, or the provider refused before taking the message): due again
    /// later, no attempt counted, with a <c>deferred</c> decision saying why: <paramref name="detail"/> (else
    /// <paramref name="reason"/>), its <see cref="DecisionTexts.DueMark"/> replaced by the time it is due again.
    /// </summary>
    public Task<bool> DeferAsync(Invitation invitation, TimeSpan after, string reason, CancellationToken cancellationToken, string? detail = null) =>
        TransitionAsync($"""
            with moved as (
            update invitations set state = '{InvitationState.Scheduled}', due_at = @now + @after, failure_reason = @reason,
                                   claimed_until = null, contacted_at = null
            where id = @id and state = '{InvitationState.Sending}' and claim_id = @run
            returning {Decided}, due_at)
            {Decide(DecisionTexts.Deferred, $"replace(@detail, '{DecisionTexts.DueMark}', {DecisionTexts.UtcSql("due_at")})")}
            """, invitation, cancellationToken, ("after", after), ("reason", reason), ("detail", detail ?? reason));

    /// <summary>email-then-sms after a permanent email failure: the invitation becomes an SMS, due now.</summary>
    public Task<bool> FallBackToSmsAsync(Invitation invitation, string reason, CancellationToken cancellationToken) =>
        TransitionAsync($"""
            with moved as (
            update invitations set channel = '{InvitationChannel.Sms.Column()}', state = '{InvitationState.Scheduled}', due_at = @now, failure_reason = @reason,
                                   claimed_until = null, contacted_at = null, attempts = attempts + 1
            where id = @id and state = '{InvitationState.Sending}' and claim_id = @run and channel = '{InvitationChannel.Email.Column()}'
            returning {Decided})
            {Decide(DecisionTexts.FellBackToSms, "@reason")}
            """, invitation, cancellationToken, ("reason", reason));

    /// <summary>
    /// A reminder went out as <paramref name="messageId"/>: one fewer left; the next one (if any) at <paramref name="next"/>;
    /// <paramref name="detail"/> is its <c>reminder_sent</c> decision. The message id is kept with the reminder's number, so
    /// its status callbacks find it (<c>reminder_messages</c>).
    /// </summary>
    public Task<bool> MarkRemindedAsync(Invitation invitation, DateTimeOffset? next, string messageId, string detail, CancellationToken cancellationToken) =>
        TransitionAsync($"""
            with moved as (
            update invitations set reminders_left = reminders_left - 1, reminders_sent = reminders_sent + 1, reminded_at = @now,
                                   remind_at = case when reminders_left > 1 then @next end
            where id = @id and state = '{InvitationState.Sent}' and answered_at is null and reminders_left > 0 and claim_id = @run
            returning {Decided}, reminders_sent, channel),
            kept as (
            insert into reminder_messages (message_id, invitation_id, reminder, channel, sent_at)
            select @message, id, reminders_sent, channel, @now from moved
            on conflict (message_id) do update set reminder = excluded.reminder, sent_at = excluded.sent_at)
            {Decide(DecisionTexts.ReminderSent, "@detail")}
            """, invitation, cancellationToken, ("next", Nullable(next)), ("message", messageId), ("detail", detail));

    /// <summary>
    /// No (more) reminders for this invitation, e.g. its address was suppressed or its links expired: a
    /// <c>reminder_skipped</c> decision names <paramref name="why"/> (<see cref="DecisionTexts.ReminderSkippedDetail"/>).
    /// </summary>
    public Task<bool> StopRemindersAsync(Invitation invitation, string why, CancellationToken cancellationToken) =>
        TransitionAsync($"""
            with moved as (
            update invitations set reminders_left = 0, remind_at = null
            where id = @id and state = '{InvitationState.Sent}' and answered_at is null and claim_id = @run
            returning {Decided})
            {Decide(DecisionTexts.ReminderSkipped, "@detail")}
            """, invitation, cancellationToken,
            ("detail", DecisionTexts.ReminderSkippedDetail(invitation.RemindersSent + 1, invitation.RemindersSent + invitation.Reminders, why)));

    /// <summary>
    /// The reminder goes out later; with <paramref name="detail"/> a decision (<paramref name="outcome"/>) says why, its
    /// <see cref="DecisionTexts.DueMark"/> replaced by the new reminder time.
    /// </summary>
    public Task<bool> RetryReminderAsync(Invitation invitation, TimeSpan after, CancellationToken cancellationToken, string? outcome = null, string? detail = null) =>
        outcome is null || detail is null
            ? TransitionAsync($"""
                update invitations set remind_at = @now + @after
                where id = @id and state = '{InvitationState.Sent}' and answered_at is null and reminders_left > 0 and claim_id = @run
                """,
                invitation, cancellationToken, ("after", after))
            : TransitionAsync($"""
                with moved as (
                update invitations set remind_at = @now + @after
                where id = @id and state = '{InvitationState.Sent}' and answered_at is null and reminders_left > 0 and claim_id = @run
                returning {Decided}, remind_at)
                {Decide(outcome, $"replace(@detail, '{DecisionTexts.DueMark}', {DecisionTexts.UtcSql("remind_at")})")}
                """, invitation, cancellationToken, ("after", after), ("detail", detail));

    /// <summary>Adds an address to the suppression list (e.g. Twilio 21610: the number replied STOP).</summary>
    public async Task SuppressAddressAsync(InvitationChannel channel, string address, string reason, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            insert into suppressions (channel, address, reason, created_at) values (@channel, @address, @reason, @now)
            on conflict (channel, address) do nothing
            """);
        command.Parameters.AddWithValue("channel", channel.Column());
        command.Parameters.AddWithValue("address", address);
        command.Parameters.AddWithValue("reason", reason);
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>What a transition returns for its decision row.</summary>
    private const string Decided = "id, event_source, event_id, event_type, rule, customer_id, email, phone";

    /// <summary>
    /// The decision of a transition, in the same statement as the change it describes (after a CTE named <c>moved</c>
    /// returning <see cref="Decided"/>), so a decision never names a change that did not commit, nor a run that lost its claim.
    /// </summary>
    private static string Decide(string outcome, string detailSql) => $"""
        insert into decisions (event_source, event_id, event_type, rule, customer_id, email, phone, invitation_id, outcome, detail, at)
        select event_source, event_id, event_type, rule, customer_id, email, phone, id, '{outcome}', {detailSql}, @now from moved
        """;

    private static object Nullable(DateTimeOffset? value) =>
        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)value ?? DBNull.Value };

    private async Task<bool> TransitionAsync(string sql, Invitation invitation, CancellationToken cancellationToken, params (string Name, object Value)[] values)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitation.Id));
        command.Parameters.Add(new NpgsqlParameter<Guid>("run", invitation.Run));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        foreach (var (name, value) in values)
        {
            if (value is NpgsqlParameter parameter)
            {
                parameter.ParameterName = name;
                command.Parameters.Add(parameter);
            }
            else
                command.Parameters.AddWithValue(name, value);
        }
        return await command.ExecuteNonQueryAsync(cancellationToken) >= 1;
    }
}
