using Npgsql;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Ingest.Reports;

/// <summary>Everything the dashboard shows, read in one go.</summary>
/// <param name="Total">The report's one row for everything answered since <paramref name="Since"/> (null when nothing was sent or answered).</param>
public sealed record DashboardData(
    DateTimeOffset Since,
    NpsReportRow? Total,
    IReadOnlyList<NpsReportRow> Weeks,
    IReadOnlyList<int> Scores,
    IReadOnlyList<(string Stage, int Count)> Funnel,
    IReadOnlyList<(string Reason, int Count)> Suppressions,
    IReadOnlyList<DashboardData.Comment> Comments)
{
    public sealed record Comment(DateTimeOffset AnsweredAt, string Survey, string Channel, int Score, string Text, string? Product);
}

/// <summary>The dashboard's queries; the NPS figure and its trend reuse the report query so both always agree with it.</summary>
public sealed class DashboardQuery(NpgsqlDataSource dataSource, NpsReportQuery reports)
{
    public async Task<DashboardData> ReadAsync(DateTimeOffset now, int weeks, CancellationToken cancellationToken)
    {
        // Whole ISO weeks (from Monday, UTC), so the first point is not a partial week.
        var today = now.UtcDateTime.Date;
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        var since = new DateTimeOffset(monday.AddDays(-7 * (weeks - 1)), TimeSpan.Zero);
        var trend = (await reports.RunAsync(new NpsReportRequest(since, null, null, null, null, "week", "UTC"), cancellationToken))
            .Where(r => r.Responses > 0).ToList();
        var total = (await reports.RunAsync(new NpsReportRequest(since, null, null, null, null, null, "UTC"), cancellationToken)).SingleOrDefault();

        var scores = new int[11];
        await using (var command = Command("""
            select score, count(*) from responses where answered_at >= @since group by score
            """, since))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
                scores[reader.GetInt16(0)] = (int)reader.GetInt64(1);

        var funnel = new List<(string, int)>();
        await using (var command = Command($"""
            -- Triggered: an event matched a rule (whether or not it became a survey: sampled out, no contact, throttled).
            select (select count(*) from decisions d where d.at >= @since and d.outcome in ('scheduled', 'sampled_out', 'no_contact', 'throttled')),
                   count(*),
                   count(*) filter (where i.sent_at is not null),
                   count(*) filter (where i.sent_at is not null and (i.channel = '{InvitationChannel.Email.Column()}' or i.delivery_status in ('delivered', 'read'))),
                   count(*) filter (where i.answered_at is not null)
            from invitations i where i.created_at >= @since
            """, since))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            string[] stages = ["Triggered", "Scheduled", "Sent", "Delivered", "Answered"];
            for (var i = 0; i < stages.Length; i++)
                funnel.Add((stages[i], (int)reader.GetInt64(i)));
        }

        var suppressions = new List<(string, int)>();
        await using (var command = Command("""
            select case when reason like 'manual:%' then 'manual' else reason end, count(*) from suppressions group by 1 order by 2 desc, 1
            """, since))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
                suppressions.Add((reader.GetString(0), (int)reader.GetInt64(1)));

        var comments = new List<DashboardData.Comment>();
        await using (var command = Command("""
            select answered_at, survey, channel, score, comment, attributes ->> 'product' from responses
            where comment is not null and comment <> ''
            order by updated_at desc limit 10
            """, since))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
                comments.Add(new DashboardData.Comment(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2),
                    reader.GetInt16(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));

        return new DashboardData(since, total, trend, scores, funnel, suppressions, comments);
    }

    private NpgsqlCommand Command(string sql, DateTimeOffset since)
    {
        var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("since", since));
        return command;
    }
}
