using Npgsql;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Dispatch.Invitations;

/// <summary>
/// A send job run's hold on its invitations: it takes the sweep's claim under its own run token, reads the rows back with
/// what happened to them since (suppressions, a remembered cancel, a provider's unconfirmed acceptance), and renews the
/// lease before provider calls. The transitions out of the claim are <see cref="InvitationStore"/>'s.
/// </summary>
public sealed class InvitationClaims(NpgsqlDataSource dataSource, TimeProvider time, Microsoft.Extensions.Options.IOptions<DispatchOptions> options)
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
    public Task<List<Invitation>> TakeAsync(Guid claim, Guid run, IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        ReadAsync($"""
            with taken as (
                update invitations set claim_id = @run, claimed_until = @now + @lease
                where id = any(@ids) and state = '{InvitationState.Sending}' and claim_id = @claim and claimed_until > @now
                returning id)
            select {Columns} from invitations i join taken on taken.id = i.id order by i.due_at
            """, claim, run, ids, cancellationToken);

    /// <summary>
    /// The same for sent, unanswered invitations claimed for a reminder. One answered since the sweep claimed it (an
    /// answer sets <c>answered_at</c> and leaves the state <c>sent</c>, <see cref="InvitationState"/>) is not taken: its
    /// remind_at stays at the claim's lease, after which the sweep moves it to answered.
    /// </summary>
    public Task<List<Invitation>> TakeRemindersAsync(Guid claim, Guid run, IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        ReadAsync($"""
            with taken as (
                update invitations set claim_id = @run, remind_at = @now + @lease
                where id = any(@ids) and state = '{InvitationState.Sent}' and answered_at is null and reminders_left > 0 and claim_id = @claim
                  and remind_at > @now
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
        await using var command = dataSource.CreateCommand($"""
            update invitations set claimed_until = $1 + $2
            where id = any($3) and state = '{InvitationState.Sending}' and claim_id = $4
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

    private async Task<List<Invitation>> ReadAsync(string sql, Guid claim, Guid run, IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. ids]));
        command.Parameters.Add(new NpgsqlParameter<Guid>("claim", claim));
        command.Parameters.Add(new NpgsqlParameter<Guid>("run", run));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("lease", options.Value.ClaimLease));
        var claimed = new List<Invitation>(ids.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            claimed.Add(new Invitation(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), InvitationChannels.Parse(reader.GetString(6)), Text(7), Text(8), Text(9), Text(10), Text(11), Text(12),
                reader.GetString(13), reader.GetFieldValue<TimeSpan>(14))
            {
                Attempts = reader.GetInt32(15),
                SuppressionEntry = Text(16),
                Reminders = reader.GetInt32(17),
                RemindersSent = reader.GetInt32(18),
                ReminderAfter = reader.IsDBNull(19) ? null : reader.GetFieldValue<TimeSpan>(19),
                ExpiresAt = reader.IsDBNull(20) ? null : reader.GetFieldValue<DateTimeOffset>(20),
                Run = run,
                TraceParent = Text(21),
                AcceptedMessageId = Text(22),
                RememberedCancel = Text(23),
            });
        }
        return claimed;
    }
}
