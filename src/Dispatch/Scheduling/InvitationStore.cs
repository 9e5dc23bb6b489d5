using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// The dispatcher's transitions. Each one is guarded by the state it leaves (<c>where state = 'sending'</c>), so
/// a job that runs twice, or late, changes nothing the first run already settled.
/// </summary>
public sealed class InvitationStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const string Columns = """
        i.id, i.event_source, i.event_id, i.event_type, i.rule, i.survey, i.channel, i.customer_id, i.email, i.phone, i.name,
        i.locale, i.time_zone, i.attributes::text, i.valid_for, i.attempts,
        (select s.reason || ', since ' || to_char(s.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || 'Z' from suppressions s
         where s.channel = i.channel
           and s.address = case when i.channel = 'sms' then coalesce(i.phone, '') else lower(coalesce(i.email, '')) end) as suppressed,
        i.reminders_left, i.reminders_sent, i.reminder_after, i.expires_at
        """;

    /// <summary>Invitations claimed for their first send.</summary>
    public Task<List<ClaimedInvitation>> ReadClaimedAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        ReadAsync($"select {Columns} from invitations i where i.id = any(@ids) and i.state = 'sending' order by i.due_at", ids, cancellationToken);

    /// <summary>Sent, unanswered invitations claimed for a reminder.</summary>
    public Task<List<ClaimedInvitation>> ReadRemindersAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        ReadAsync($"select {Columns} from invitations i where i.id = any(@ids) and i.state = 'sent' and i.reminders_left > 0", ids, cancellationToken);

    private async Task<List<ClaimedInvitation>> ReadAsync(string sql, IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. ids]));
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
                reader.IsDBNull(20) ? null : reader.GetFieldValue<DateTimeOffset>(20)));
        }
        return claimed;
    }

    public Task<bool> MarkSentAsync(Guid id, DateTimeOffset expiresAt, string messageId, DateTimeOffset? remindAt, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set state = 'sent', sent_at = @now, expires_at = @expires, message_id = @message,
                                   claimed_until = null, attempts = attempts + 1, failure_reason = null,
                                   remind_at = @remind, reminders_left = case when @remind is null then 0 else reminders_left end
            where id = @id and state = 'sending'
            """, id, cancellationToken, ("expires", expiresAt), ("message", messageId), ("remind", Nullable(remindAt)));

    public Task<bool> MarkFailedAsync(Guid id, string reason, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set state = 'failed', failed_at = @now, failure_reason = @reason,
                                   claimed_until = null, attempts = attempts + 1
            where id = @id and state = 'sending'
            """, id, cancellationToken, ("reason", reason));

    public Task<bool> MarkSuppressedAsync(ClaimedInvitation invitation, string reason, CancellationToken cancellationToken) =>
        TransitionAsync("""
            with moved as (
                update invitations set state = 'suppressed', suppressed_at = @now, failure_reason = @reason, claimed_until = null
                where id = @id and state = 'sending'
                returning id, event_source, event_id, event_type, rule, customer_id, email)
            insert into decisions (event_source, event_id, event_type, rule, customer_id, email, invitation_id, outcome, detail, at)
            select event_source, event_id, event_type, rule, customer_id, email, id, 'suppressed', @reason, @now from moved
            """, invitation.Id, cancellationToken, ("reason", reason));

    /// <summary>A transient failure: back to scheduled, due again after <paramref name="retryAfter"/>.</summary>
    public Task<bool> RescheduleAsync(Guid id, TimeSpan retryAfter, string reason, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set state = 'scheduled', due_at = @now + @after, failure_reason = @reason,
                                   claimed_until = null, attempts = attempts + 1, contacted_at = null
            where id = @id and state = 'sending'
            """, id, cancellationToken, ("after", retryAfter), ("reason", reason));

    /// <summary>email-then-sms after a permanent email failure: the invitation becomes an SMS, due now.</summary>
    public Task<bool> FallBackToSmsAsync(Guid id, string reason, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set channel = 'sms', state = 'scheduled', due_at = @now, failure_reason = @reason,
                                   claimed_until = null, contacted_at = null, attempts = attempts + 1
            where id = @id and state = 'sending' and channel = 'email'
            """, id, cancellationToken, ("reason", reason));

    /// <summary>A reminder went out: one fewer left; the next one (if any) at <paramref name="next"/>.</summary>
    public Task<bool> MarkRemindedAsync(Guid id, DateTimeOffset? next, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set reminders_left = reminders_left - 1, reminders_sent = reminders_sent + 1, reminded_at = @now,
                                   remind_at = case when reminders_left > 1 then @next end
            where id = @id and state = 'sent' and reminders_left > 0
            """, id, cancellationToken, ("next", Nullable(next)));

    /// <summary>No (more) reminders for this invitation, e.g. its address was suppressed or its links expired.</summary>
    public Task<bool> StopRemindersAsync(Guid id, CancellationToken cancellationToken) =>
        TransitionAsync("update invitations set reminders_left = 0, remind_at = null where id = @id and state = 'sent'", id, cancellationToken);

    public Task<bool> RetryReminderAsync(Guid id, TimeSpan after, CancellationToken cancellationToken) =>
        TransitionAsync("update invitations set remind_at = @now + @after where id = @id and state = 'sent' and reminders_left > 0",
            id, cancellationToken, ("after", after));

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

    private async Task<bool> TransitionAsync(string sql, Guid id, CancellationToken cancellationToken, params (string Name, object Value)[] values)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
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
