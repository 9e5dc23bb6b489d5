using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// The dispatcher's transitions. Each one is guarded by the state it leaves and by the run token of the job run
/// holding the invitation (<c>where state = 'sending' and claim_id = @run</c>), so a job that runs twice, or late,
/// neither sends again nor changes what the run that holds the claim settles.
/// </summary>
public sealed class InvitationStore(NpgsqlDataSource dataSource, TimeProvider time, Microsoft.Extensions.Options.IOptions<DispatchOptions> options)
{
    private const string Columns = """
        i.id, i.event_source, i.event_id, i.event_type, i.rule, i.survey, i.channel, i.customer_id, i.email, i.phone, i.name,
        i.locale, i.time_zone, i.attributes::text, i.valid_for, i.attempts,
        (select s.reason || ', since ' || to_char(s.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || 'Z' from suppressions s
         cross join lateral (select case when i.channel = 'sms' then coalesce(i.phone, '') else lower(coalesce(i.email, '')) end as address) a
         where s.channel = i.channel
           -- An erased person's entries are kept as hashes (PersonalData.HashSql), so they stay suppressed.
           and s.address in (a.address, 'sha256:' || encode(sha256(convert_to(a.address, 'UTF8')), 'hex'))
         order by s.created_at limit 1) as suppressed,
        i.reminders_left, i.reminders_sent, i.reminder_after, i.expires_at, i.trace_parent, i.accepted_message_id,
        (select m.cancelled_by from remembered_cancels m
         where m.rule = i.rule and m.correlation = i.correlation and m.expires_at > @now) as remembered_cancel
        """;

    /// <summary>
    /// Takes a sweep's claim for this job run: swaps the claim token for the run's own and renews the lease. A second
    /// run of the same job (Hangfire re-fetching it after its invisibility timeout, or on another server) finds the
    /// token gone and gets nothing; so does a run that starts after its lease lapsed, since a later sweep re-claims.
    /// </summary>
    public Task<List<ClaimedInvitation>> TakeClaimAsync(Guid claim, Guid run, IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        ReadAsync($"""
            with taken as (
                update invitations set claim_id = @run, claimed_until = @now + @lease
                where id = any(@ids) and state = 'sending' and claim_id = @claim and claimed_until > @now
                returning id)
            select {Columns} from invitations i join taken on taken.id = i.id order by i.due_at
            """, claim, run, ids, cancellationToken);

    /// <summary>The same for sent, unanswered invitations claimed for a reminder.</summary>
    public Task<List<ClaimedInvitation>> TakeReminderClaimAsync(Guid claim, Guid run, IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        ReadAsync($"""
            with taken as (
                update invitations set claim_id = @run, remind_at = @now + @lease
                where id = any(@ids) and state = 'sent' and reminders_left > 0 and claim_id = @claim and remind_at > @now
                returning id)
            select {Columns} from invitations i join taken on taken.id = i.id order by i.remind_at
            """, claim, run, ids, cancellationToken);

    /// <summary>
    /// Right before a batch of provider calls: confirms which of <paramref name="ids"/> this run still holds and renews
    /// their lease, so sends that waited (rate limit, a slow chunk) cannot overlap a re-claim. Those missing from the
    /// answer are owned by another run now.
    /// </summary>
    public async Task<HashSet<Guid>> RenewAsync(Guid run, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        await using var command = dataSource.CreateCommand("""
            update invitations set claimed_until = $1 + $2
            where id = any($3) and state = 'sending' and claim_id = $4
            returning id
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = options.Value.ClaimLease });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. ids] });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = run });
        var held = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            held.Add(reader.GetGuid(0));
        return held;
    }

    public Task<bool> RenewReminderAsync(ClaimedInvitation invitation, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set remind_at = @now + @lease
            where id = @id and state = 'sent' and reminders_left > 0 and claim_id = @run
            """, invitation, cancellationToken, ("lease", options.Value.ClaimLease));

    private async Task<List<ClaimedInvitation>> ReadAsync(string sql, Guid claim, Guid run, IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. ids]));
        command.Parameters.Add(new NpgsqlParameter<Guid>("claim", claim));
        command.Parameters.Add(new NpgsqlParameter<Guid>("run", run));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("lease", options.Value.ClaimLease));
        var claimed = new List<ClaimedInvitation>(ids.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            using var attributes = JsonDocument.Parse(reader.GetString(13));
            claimed.Add(new ClaimedInvitation(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), Text(7), Text(8), Text(9), Text(10), Text(11), Text(12), attributes.RootElement.Clone(),
                reader.GetFieldValue<TimeSpan>(14), reader.GetInt32(15), Text(16), reader.GetInt32(17), reader.GetInt32(18),
                reader.IsDBNull(19) ? null : reader.GetFieldValue<TimeSpan>(19),
                reader.IsDBNull(20) ? null : reader.GetFieldValue<DateTimeOffset>(20)) { Run = run, TraceParent = Text(21), AcceptedMessageId = Text(22), RememberedCancel = Text(23) });
        }
        return claimed;
    }

    public Task<bool> MarkSentAsync(ClaimedInvitation invitation, DateTimeOffset expiresAt, string messageId, DateTimeOffset? remindAt, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set state = 'sent', sent_at = @now, expires_at = @expires, message_id = @message,
                                   trace_parent = coalesce(@trace, trace_parent),
                                   claimed_until = null, attempts = attempts + 1, failure_reason = null,
                                   -- Status callbacks that beat this commit (kept with accepted_message_id) stay.
                                   delivery_status = case when accepted_message_id = @message then delivery_status end,
                                   delivery_error = case when accepted_message_id = @message then delivery_error end,
                                   accepted_message_id = null,
                                   -- A cancel that landed during the send left reminders_left at 0: no reminder then.
                                   remind_at = case when reminders_left > 0 then @remind end,
                                   reminders_left = case when @remind is null then 0 else reminders_left end
            where id = @id and state = 'sending' and claim_id = @run
            """, invitation, cancellationToken, ("expires", expiresAt), ("message", messageId), ("remind", Nullable(remindAt)),
            ("trace", new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)System.Diagnostics.Activity.Current?.Id ?? DBNull.Value }));

    /// <summary>
    /// A permanent failure. The failed send was never a contact, so it stops counting for the recontact throttle, and
    /// whatever it throttled is released (<see cref="ReleaseHeldSql"/>).
    /// </summary>
    public async Task<bool> MarkFailedAsync(ClaimedInvitation invitation, string reason, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            with failed as (
                update invitations set state = 'failed', failed_at = @now, failure_reason = @reason,
                                       claimed_until = null, attempts = attempts + 1, contacted_at = null
                where id = @id and state = 'sending' and claim_id = @run
                returning id),
            {ReleaseHeldSql}
            select count(*) from failed
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitation.Id));
        command.Parameters.Add(new NpgsqlParameter<Guid>("run", invitation.Run));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        command.Parameters.Add(new NpgsqlParameter<string>("reason", reason));
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    /// <summary>
    /// CTEs that follow one named <c>failed</c> (returning the ids of invitations that just failed for good): invitations
    /// those throttled go back to scheduled, due now, and each gets a <c>released</c> decision. They pass the throttle
    /// again at their send, against the contacts that did happen.
    /// </summary>
    internal const string ReleaseHeldSql = """
        released as (
            update invitations h set state = 'scheduled', due_at = @now, suppressed_at = null, throttled_by = null,
                                     failure_reason = null, claimed_until = null
            from failed f
            where h.throttled_by = f.id and h.state = 'suppressed'
            returning h.id, h.event_source, h.event_id, h.event_type, h.rule, h.customer_id, h.email, f.id as failed_id),
        released_decisions as (
            insert into decisions (event_source, event_id, event_type, rule, customer_id, email, invitation_id, outcome, detail, at)
            select event_source, event_id, event_type, rule, customer_id, email, id, 'released',
                   'invitation ' || failed_id || ', which throttled this one, failed for good, so it was no contact; due again now', @now
            from released)
        """;

    /// <summary>
    /// A cancel was remembered for this invitation but committed alongside its intake, which did not see it: cancelled now,
    /// at send time, with the decision that says by what.
    /// </summary>
    public Task<bool> MarkCancelledAsync(ClaimedInvitation invitation, string cancelledBy, CancellationToken cancellationToken) =>
        TransitionAsync("""
            with moved as (
                update invitations set state = 'cancelled', cancelled_at = @now, cancelled_by = @by, claimed_until = null, contacted_at = null
                where id = @id and state = 'sending' and claim_id = @run
                returning id, event_source, event_id, event_type, rule, customer_id, email)
            insert into decisions (event_source, event_id, event_type, rule, customer_id, email, invitation_id, outcome, detail, at)
            select event_source, event_id, event_type, rule, customer_id, email, id, 'cancelled',
                   'invitation ' || id || ' cancelled at send time by ' || @by, @now from moved
            """, invitation, cancellationToken, ("by", cancelledBy));

    public Task<bool> MarkSuppressedAsync(ClaimedInvitation invitation, string reason, CancellationToken cancellationToken) =>
        TransitionAsync("""
            with moved as (
                update invitations set state = 'suppressed', suppressed_at = @now, failure_reason = @reason, claimed_until = null
                where id = @id and state = 'sending' and claim_id = @run
                returning id, event_source, event_id, event_type, rule, customer_id, email)
            insert into decisions (event_source, event_id, event_type, rule, customer_id, email, invitation_id, outcome, detail, at)
            select event_source, event_id, event_type, rule, customer_id, email, id, 'suppressed', @reason, @now from moved
            """, invitation, cancellationToken, ("reason", reason));

    /// <summary>A transient failure: back to scheduled, due again after <paramref name="retryAfter"/>.</summary>
    public Task<bool> RescheduleAsync(ClaimedInvitation invitation, TimeSpan retryAfter, string reason, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set state = 'scheduled', due_at = @now + @after, failure_reason = @reason,
                                   claimed_until = null, attempts = attempts + 1, contacted_at = null
            where id = @id and state = 'sending' and claim_id = @run
            """, invitation, cancellationToken, ("after", retryAfter), ("reason", reason));

    /// <summary>Nothing was attempted (the provider refused before taking the message): due again later, no attempt counted.</summary>
    public Task<bool> DeferAsync(ClaimedInvitation invitation, TimeSpan after, string reason, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set state = 'scheduled', due_at = @now + @after, failure_reason = @reason,
                                   claimed_until = null, contacted_at = null
            where id = @id and state = 'sending' and claim_id = @run
            """, invitation, cancellationToken, ("after", after), ("reason", reason));

    /// <summary>email-then-sms after a permanent email failure: the invitation becomes an SMS, due now.</summary>
    public Task<bool> FallBackToSmsAsync(ClaimedInvitation invitation, string reason, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set channel = 'sms', state = 'scheduled', due_at = @now, failure_reason = @reason,
                                   claimed_until = null, contacted_at = null, attempts = attempts + 1
            where id = @id and state = 'sending' and claim_id = @run and channel = 'email'
            """, invitation, cancellationToken, ("reason", reason));

    /// <summary>A reminder went out: one fewer left; the next one (if any) at <paramref name="next"/>.</summary>
    public Task<bool> MarkRemindedAsync(ClaimedInvitation invitation, DateTimeOffset? next, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set reminders_left = reminders_left - 1, reminders_sent = reminders_sent + 1, reminded_at = @now,
                                   remind_at = case when reminders_left > 1 then @next end
            where id = @id and state = 'sent' and reminders_left > 0 and claim_id = @run
            """, invitation, cancellationToken, ("next", Nullable(next)));

    /// <summary>No (more) reminders for this invitation, e.g. its address was suppressed or its links expired.</summary>
    public Task<bool> StopRemindersAsync(ClaimedInvitation invitation, CancellationToken cancellationToken) =>
        TransitionAsync("update invitations set reminders_left = 0, remind_at = null where id = @id and state = 'sent' and claim_id = @run", invitation, cancellationToken);

    public Task<bool> RetryReminderAsync(ClaimedInvitation invitation, TimeSpan after, CancellationToken cancellationToken) =>
        TransitionAsync("update invitations set remind_at = @now + @after where id = @id and state = 'sent' and reminders_left > 0 and claim_id = @run",
            invitation, cancellationToken, ("after", after));

    /// <summary>Adds an address to the suppression list (e.g. Twilio 21610: the number replied STOP).</summary>
    public async Task SuppressAddressAsync(string channel, string address, string reason, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            insert into suppressions (channel, address, reason, created_at) values (@channel, @address, @reason, @now)
            on conflict (channel, address) do nothing
            """);
        command.Parameters.AddWithValue("channel", channel);
        command.Parameters.AddWithValue("address", address);
        command.Parameters.AddWithValue("reason", reason);
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static object Nullable(DateTimeOffset? value) =>
        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)value ?? DBNull.Value };

    private async Task<bool> TransitionAsync(string sql, ClaimedInvitation invitation, CancellationToken cancellationToken, params (string Name, object Value)[] values)
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
