using System.Text.Json;
using Npgsql;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// The dispatcher's transitions. Each one is guarded by the state it leaves (<c>where state = 'sending'</c>), so
/// a job that runs twice, or late, changes nothing the first run already settled.
/// </summary>
public sealed class InvitationStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    public async Task<List<ClaimedInvitation>> ReadClaimedAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select i.id, i.survey, i.channel, i.customer_id, i.email, i.phone, i.name, i.locale, i.time_zone,
                   i.attributes::text, i.valid_for, i.attempts,
                   exists (select 1 from suppressions s
                           where s.channel = i.channel and s.address = lower(coalesce(i.email, i.phone, ''))) as suppressed
            from invitations i
            where i.id = any(@ids) and i.state = 'sending'
            order by i.due_at
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. ids]));
        var claimed = new List<ClaimedInvitation>(ids.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            using var attributes = JsonDocument.Parse(reader.GetString(9));
            claimed.Add(new ClaimedInvitation(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), Text(3), Text(4), Text(5),
                Text(6), Text(7), Text(8), attributes.RootElement.Clone(), reader.GetFieldValue<TimeSpan>(10), reader.GetInt32(11), reader.GetBoolean(12)));
        }
        return claimed;
    }

    public Task<bool> MarkSentAsync(Guid id, DateTimeOffset expiresAt, string messageId, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set state = 'sent', sent_at = @now, expires_at = @expires, message_id = @message,
                                   claimed_until = null, attempts = attempts + 1, failure_reason = null
            where id = @id and state = 'sending'
            """, id, cancellationToken, ("expires", expiresAt), ("message", messageId));

    public Task<bool> MarkFailedAsync(Guid id, string reason, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set state = 'failed', failed_at = @now, failure_reason = @reason,
                                   claimed_until = null, attempts = attempts + 1
            where id = @id and state = 'sending'
            """, id, cancellationToken, ("reason", reason));

    public Task<bool> MarkSuppressedAsync(Guid id, string reason, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set state = 'suppressed', suppressed_at = @now, failure_reason = @reason, claimed_until = null
            where id = @id and state = 'sending'
            """, id, cancellationToken, ("reason", reason));

    /// <summary>A transient failure: back to scheduled, due again after <paramref name="retryAfter"/>.</summary>
    public Task<bool> RescheduleAsync(Guid id, TimeSpan retryAfter, string reason, CancellationToken cancellationToken) =>
        TransitionAsync("""
            update invitations set state = 'scheduled', due_at = @now + @after, failure_reason = @reason,
                                   claimed_until = null, attempts = attempts + 1
            where id = @id and state = 'sending'
            """, id, cancellationToken, ("after", retryAfter), ("reason", reason));

    private async Task<bool> TransitionAsync(string sql, Guid id, CancellationToken cancellationToken, params (string Name, object Value)[] values)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        foreach (var (name, value) in values)
            command.Parameters.AddWithValue(name, value);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
