using Npgsql;
using NpgsqlTypes;
using NpsTriggers.Core.Nps;

namespace NpsTriggers.Ingest.Reports;

/// <summary>What to report: a time range, filters, a grouping and a period, in a time zone.</summary>
/// <param name="By">null, <c>survey</c>, <c>channel</c>, or the name of a kept metadata field (product, store, agent…).</param>
/// <param name="Interval">null (one period), <c>day</c>, <c>week</c> (ISO, from Monday) or <c>month</c>.</param>
/// <param name="TimeZone">An IANA zone, or null for the respondent's own zone (the invitation's, else UTC).</param>
public sealed record NpsReportRequest(DateTimeOffset? From, DateTimeOffset? To, string? Survey, string? Channel, string? By, string? Interval, string? TimeZone);

/// <summary>
/// One group and period: NPS with its 95% margin of error from the responses answered in the period, and the
/// response rate of the invitations sent in the period (how many of them have been answered so far).
/// </summary>
public sealed record NpsReportRow(
    string? Group, DateOnly? Period, int Promoters, int Passives, int Detractors, int Responses, double? Nps, double? MarginOfError,
    int Sent, int Answered, double? ResponseRate);

/// <summary>The report queries: two grouped scans (responses by answer time, invitations by send time) joined in memory.</summary>
public sealed class NpsReportQuery(NpgsqlDataSource dataSource)
{
    // Categories come from the database's one definition of them (nps_category, migration 0018).
    private static readonly string Categories = $"""
        count(*) filter (where nps_category(r.score) = '{NpsSummary.NameOf(NpsCategory.Promoter)}'),
        count(*) filter (where nps_category(r.score) = '{NpsSummary.NameOf(NpsCategory.Passive)}'),
        count(*) filter (where nps_category(r.score) = '{NpsSummary.NameOf(NpsCategory.Detractor)}')
        from responses r join invitations i on i.id = r.invitation_id
        """;

    public async Task<List<NpsReportRow>> RunAsync(NpsReportRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var answered = await GroupAsync(request, "r", "r.answered_at", Categories, cancellationToken);
        var sent = await GroupAsync(request, "i", "i.sent_at", """
            count(*), count(r.invitation_id), 0::bigint
            from invitations i left join responses r on r.invitation_id = i.id
            """, cancellationToken);
        var rows = new List<NpsReportRow>();
        foreach (var key in answered.Keys.Union(sent.Keys).OrderBy(k => k.Period).ThenBy(k => k.Group, StringComparer.Ordinal))
        {
            var (p, n, d) = answered.GetValueOrDefault(key);
            var (s, a, _) = sent.GetValueOrDefault(key);
            var summary = new NpsSummary(p, n, d);
            rows.Add(new NpsReportRow(key.Group, key.Period, p, n, d, summary.Responses, summary.Nps, summary.MarginOfError,
                s, a, s == 0 ? null : Math.Round(100.0 * a / s, 1)));
        }
        return rows;
    }

    private async Task<Dictionary<(string? Group, DateOnly? Period), (int, int, int)>> GroupAsync(
        NpsReportRequest request, string table, string at, string aggregateFrom, CancellationToken cancellationToken)
    {
        var group = request.By switch
        {
            null => "null::text",
            "survey" => $"{table}.survey",
            "channel" => $"{table}.channel",
            _ => $"{table}.attributes ->> @by",
        };
        var zone = request.TimeZone is null ? "coalesce(i.time_zone, 'UTC')" : "@zone";
        var period = request.Interval is null ? "null::date" : $"date_trunc(@interval, {at} at time zone {zone})::date";
        await using var command = dataSource.CreateCommand($"""
            select {group}, {period}, {aggregateFrom}
            where {at} is not null
              and (@from::timestamptz is null or {at} >= @from) and (@to::timestamptz is null or {at} < @to)
              and (@survey::text is null or {table}.survey = @survey) and (@channel::text is null or {table}.channel = @channel)
            group by 1, 2
            """);
        command.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.TimestampTz) { Value = (object?)request.From ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("to", NpgsqlDbType.TimestampTz) { Value = (object?)request.To ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("survey", NpgsqlDbType.Text) { Value = (object?)request.Survey ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("channel", NpgsqlDbType.Text) { Value = (object?)request.Channel ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("by", NpgsqlDbType.Text) { Value = (object?)request.By ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("zone", NpgsqlDbType.Text) { Value = (object?)request.TimeZone ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("interval", NpgsqlDbType.Text) { Value = (object?)request.Interval ?? DBNull.Value });
        var result = new Dictionary<(string?, DateOnly?), (int, int, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? (DateOnly?)null : reader.GetFieldValue<DateOnly>(1));
            result[key] = ((int)reader.GetInt64(2), (int)reader.GetInt64(3), (int)reader.GetInt64(4));
        }
        return result;
    }
}
