using Npgsql;

namespace NpsTriggers.Bench;

/// <summary>
/// Where PostgreSQL's time went during a benchmark, from <c>pg_stat_statements</c>: only when the server preloads it
/// (<c>PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements"</c>), since the module costs time of its own.
/// </summary>
internal static class PgStatements
{
    public static bool Enabled { get; } =
        Environment.GetEnvironmentVariable("PG_OPTIONS")?.Contains("pg_stat_statements", StringComparison.Ordinal) == true;

    /// <summary>One statement's totals since the last reset; its text with whitespace folded, cut to the caller's width.</summary>
    public sealed record Row(long Calls, long Plans, double PlanMs, double TotalMs, long Rows, long Blocks, long WalRecords, long WalFullPages, decimal WalBytes, string Query);

    /// <summary>Creates the extension in <paramref name="data"/>'s database and starts its counts from zero (when enabled).</summary>
    public static async Task StartAsync(NpgsqlDataSource data)
    {
        if (Enabled)
            await data.CreateCommand("create extension if not exists pg_stat_statements; select pg_stat_statements_reset()").ExecuteNonQueryAsync();
    }

    /// <summary>The <paramref name="limit"/> statements that took the most execution time.</summary>
    public static async Task<List<Row>> TopAsync(NpgsqlDataSource data, int limit, int width)
    {
        await using var top = data.CreateCommand("""
            select calls, plans, total_plan_time, total_exec_time, rows, shared_blks_hit + shared_blks_read, wal_records, wal_fpi, wal_bytes, left(regexp_replace(query, '\s+', ' ', 'g'), @width)
            from pg_stat_statements order by total_exec_time desc limit @limit
            """);
        top.Parameters.AddWithValue("width", width);
        top.Parameters.AddWithValue("limit", limit);
        var rows = new List<Row>();
        await using var reader = await top.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add(new Row(reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetInt64(4), reader.GetInt64(5),
                reader.GetInt64(6), reader.GetInt64(7), reader.GetDecimal(8), reader.GetString(9)));
        return rows;
    }
}
