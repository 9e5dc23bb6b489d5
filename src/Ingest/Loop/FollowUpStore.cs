using Npgsql;

namespace NpsTriggers.Ingest.Loop;

/// <summary>A follow-up task with the response it is about.</summary>
public sealed record FollowUp(Guid InvitationId, string Category, string State, string? Assignee, string? Note, DateTimeOffset CreatedAt,
    DateTimeOffset DueAt, DateTimeOffset? ClosedAt, bool Overdue, int Score, string? Comment, string Survey, string? CustomerId);

/// <summary>What an assign or close found.</summary>
public enum FollowUpChange { Done, NotFound, Closed }

/// <summary>
/// Follow-up tasks (created by <c>ResponseOutbox</c> with each response). open → closed is the only transition;
/// assigning is allowed while open. "Overdue" is open and past due by the injected clock.
/// </summary>
public sealed class FollowUpStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const string Select = """
        select f.invitation_id, f.category, f.state, f.assignee, f.note, f.created_at, f.due_at, f.closed_at,
               f.state = 'open' and f.due_at < @now, r.score, r.comment, r.survey, i.customer_id
        from follow_ups f join responses r on r.invitation_id = f.invitation_id join invitations i on i.id = f.invitation_id
        """;

    public async Task<List<FollowUp>> ListAsync(string? state, string? assignee, string? category, bool overdueOnly, int limit,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            {Select}
            where (@state::text is null or f.state = @state)
              and (@assignee::text is null or f.assignee = @assignee)
              and (@category::text is null or f.category = @category)
              and (not @overdue or (f.state = 'open' and f.due_at < @now))
            order by f.due_at, f.invitation_id
            limit @limit
            """);
        command.Parameters.Add(new NpgsqlParameter("state", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)state ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("assignee", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)assignee ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("category", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)category ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<bool>("overdue", overdueOnly));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        var list = new List<FollowUp>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            list.Add(Read(reader));
        return list;
    }

    public async Task<FollowUp?> GetAsync(Guid invitationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{Select} where f.invitation_id = @id");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public Task<FollowUpChange> AssignAsync(Guid invitationId, string assignee, CancellationToken cancellationToken) =>
        ChangeAsync("update follow_ups set assignee = @value where invitation_id = @id and state = 'open'", invitationId, assignee, cancellationToken);

    public Task<FollowUpChange> CloseAsync(Guid invitationId, string? note, CancellationToken cancellationToken) =>
        ChangeAsync("update follow_ups set state = 'closed', closed_at = @now, note = @value where invitation_id = @id and state = 'open'",
            invitationId, note, cancellationToken);

    private async Task<FollowUpChange> ChangeAsync(string sql, Guid invitationId, string? value, CancellationToken cancellationToken)
    {
        // The from-state is in the WHERE clause; when nothing matched, a second look says whether it is missing or closed.
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        command.Parameters.Add(new NpgsqlParameter("value", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
            return FollowUpChange.Done;
        await using var exists = dataSource.CreateCommand("select exists (select 1 from follow_ups where invitation_id = @id)");
        exists.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken))! ? FollowUpChange.Closed : FollowUpChange.NotFound;
    }

    private static FollowUp Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6),
        reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.GetBoolean(8), reader.GetInt16(9),
        reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetString(11), reader.IsDBNull(12) ? null : reader.GetString(12));
}
