using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Nps;

namespace NpsTriggers.Ingest.Loop;

/// <summary>A follow-up task with the response it is about.</summary>
public sealed record FollowUp(Guid InvitationId, string Category, string State, string? Assignee, string? Note, DateTimeOffset CreatedAt,
    DateTimeOffset DueAt, DateTimeOffset? ClosedAt, bool Overdue, int Score, string? Comment, string Survey, string? CustomerId);

/// <summary>What an assign or close found.</summary>
public enum FollowUpChange { Done, NotFound, Closed }

/// <summary>
/// Follow-up tasks: one per response, read from the view <c>follow_up_tasks</c> (migration 0026). Its category and
/// creation come from the response; its due date is the creation plus the category's time from
/// <see cref="FollowUpOptions"/>, added here. A row of <c>follow_ups</c> exists only once someone assigned or closed the
/// task. open → closed is the only transition; assigning is allowed while open. "Overdue" is open and past due by the
/// injected clock.
/// </summary>
public sealed class FollowUpStore(NpgsqlDataSource dataSource, IOptions<FollowUpOptions> options, TimeProvider time)
{
    private static readonly string[] Categories = [NpsSummary.NameOf(NpsCategory.Detractor), NpsSummary.NameOf(NpsCategory.Passive),
        NpsSummary.NameOf(NpsCategory.Promoter)];

    // A task's columns, read from responses r, invitations i and f, which is either the task's follow_ups row (the
    // list) or its row of the view follow_up_tasks (one task), both with the task's assignee, note and closed_at: its
    // category and state the SQL expressions given, its due date its answer time plus the category's time, the SQL
    // expression due.
    private static string Columns(string category, string state, string due) => $"""
        r.invitation_id, {category}, {state}, f.assignee, f.note, r.answered_at, r.answered_at + {due}, f.closed_at,
        {state} = 'open' and r.answered_at + {due} < @now, r.score, r.comment, r.survey, i.customer_id
        """;

    public async Task<List<FollowUp>> ListAsync(string? state, string? assignee, string? category, bool overdueOnly, int limit,
        CancellationToken cancellationToken)
    {
        // Within one category the due date is the answer time plus one constant, so "by due date" is "by answer time",
        // the order of the index responses_answered. Each category is read in that order up to the limit, its open tasks
        // and its closed ones apart, and the (at most six) lists are merged. The open tasks of a category are the
        // responses in its score range without a closed row (an anti-join the planner estimates well: the view's
        // category expression, or "no row or an open one" after an outer join, it estimated at one row and planned as
        // a scan and sort of everything: 0.9 s for the list at 300,000 responses, against 70-80 ms); with an assignee they start from
        // the follow_ups rows, the only place an assignee is. A closed task keeps the category it was closed in, so the
        // closed ones are read from follow_ups. Overdue is "answered before now minus the category's time", a range of
        // the index; a closed task is never overdue.
        var wanted = category is null ? Categories : [category];
        var parts = new List<string>();
        for (var n = 0; n < wanted.Length; n++)
        {
            var (low, high) = ScoreRange(wanted[n]);
            if (state is null or "open")
                parts.Add($"""
                    (select {Columns("nps_category(r.score)", "'open'", $"@due{n}")}
                     from responses r {(assignee is null ? "left join" : "join")} follow_ups f on f.invitation_id = r.invitation_id
                     join invitations i on i.id = r.invitation_id
                     where r.score between {low} and {high}
                       and {(assignee is null
                           ? "not exists (select 1 from follow_ups c where c.invitation_id = r.invitation_id and c.state = 'closed')"
                           : "f.state = 'open' and f.assignee = @assignee")}
                       and (not @overdue or r.answered_at < @now - @due{n})
                     order by r.answered_at, r.invitation_id
                     limit @limit)
                    """);
            if (state is null or "closed" && !overdueOnly)
                parts.Add($"""
                    (select {Columns("f.category", "'closed'", $"@due{n}")}
                     from follow_ups f join responses r on r.invitation_id = f.invitation_id join invitations i on i.id = r.invitation_id
                     where f.state = 'closed' and f.category = @category{n} and (@assignee::text is null or f.assignee = @assignee)
                     order by r.answered_at, r.invitation_id
                     limit @limit)
                    """);
        }
        if (parts.Count == 0)
            return [];
        await using var command = dataSource.CreateCommand($"""
            select * from ({string.Join("\nunion all\n", parts)}) tasks (invitation_id, category, state, assignee, note, created_at, due_at,
                                                                          closed_at, overdue, score, comment, survey, customer_id)
            order by due_at, invitation_id
            limit @limit
            """);
        AddCategories(command.Parameters, wanted);
        command.Parameters.Add(new NpgsqlParameter("assignee", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)assignee ?? DBNull.Value });
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
        await using var command = dataSource.CreateCommand($"""
            select {Columns("f.category", "f.state", "case f.category when @category0 then @due0 when @category1 then @due1 else @due2 end")}
            from follow_up_tasks f join responses r on r.invitation_id = f.invitation_id join invitations i on i.id = f.invitation_id
            where f.invitation_id = @id
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        AddCategories(command.Parameters, Categories);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Assigns an open task: writes its row, or changes the assignee on the row it has.</summary>
    public Task<FollowUpChange> AssignAsync(Guid invitationId, string assignee, CancellationToken cancellationToken) =>
        ChangeAsync("""
            insert into follow_ups (invitation_id, category, state, assignee, created_at)
            select t.invitation_id, t.category, 'open', @value, @now from follow_up_tasks t where t.invitation_id = @id
            on conflict (invitation_id) do update set assignee = excluded.assignee where follow_ups.state = 'open'
            """, invitationId, assignee, cancellationToken);

    /// <summary>Closes an open task, keeping the category it is closed in.</summary>
    public Task<FollowUpChange> CloseAsync(Guid invitationId, string? note, CancellationToken cancellationToken) =>
        ChangeAsync("""
            insert into follow_ups (invitation_id, category, state, note, created_at, closed_at)
            select t.invitation_id, t.category, 'closed', @value, @now, @now from follow_up_tasks t where t.invitation_id = @id
            on conflict (invitation_id) do update
                set state = 'closed', closed_at = excluded.closed_at, note = excluded.note, category = excluded.category
                where follow_ups.state = 'open'
            """, invitationId, note, cancellationToken);

    private async Task<FollowUpChange> ChangeAsync(string sql, Guid invitationId, string? value, CancellationToken cancellationToken)
    {
        // The from-state is in the conflict's WHERE clause; when nothing was written, a second look says whether the
        // task is missing (no response) or closed.
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        command.Parameters.Add(new NpgsqlParameter("value", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
            return FollowUpChange.Done;
        await using var exists = dataSource.CreateCommand("select exists (select 1 from responses where invitation_id = @id)");
        exists.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken))! ? FollowUpChange.Closed : FollowUpChange.NotFound;
    }

    // The scores of a category, as NpsSummary (and nps_category, migration 0018) draws them: a run of 0–10.
    private static (int Low, int High) ScoreRange(string category)
    {
        var scores = Enumerable.Range(0, 11).Where(score => NpsSummary.CategoryOf(score) == category).ToList();
        return (scores[0], scores[^1]);
    }

    // @category{n} and @due{n}: the n-th of categories, and its time to follow up from the options.
    private void AddCategories(NpgsqlParameterCollection parameters, IReadOnlyList<string> categories)
    {
        for (var n = 0; n < categories.Count; n++)
        {
            var due = categories[n] == Categories[0] ? options.Value.DetractorDue
                : categories[n] == Categories[1] ? options.Value.PassiveDue : options.Value.PromoterDue;
            parameters.Add(new NpgsqlParameter<string>($"category{n}", categories[n]));
            parameters.Add(new NpgsqlParameter<TimeSpan>($"due{n}", due));
        }
    }

    private static FollowUp Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6),
        reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.GetBoolean(8), reader.GetInt16(9),
        reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetString(11), reader.IsDBNull(12) ? null : reader.GetString(12));
}
