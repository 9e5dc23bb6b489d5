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
    public sealed record Row(long Calls, double TotalMs, long Rows, long Blocks, long WalRecords, long WalFullPages, decimal WalBytes, string Query);

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
            select calls, total_exec_time, rows, shared_blks_hit + shared_blks_read, wal_records, wal_fpi, wal_bytes, left(regexp_replace(query, '\s+', ' ', 'g'), @width)
            from pg_stat_statements order by total_exec_time desc limit @limit
            """);
        top.Parameters.AddWithValue("width", width);
        top.Parameters.AddWithValue("limit", limit);
        var rows = new List<Row>();
        await using var reader = await top.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add(new Row(reader.GetInt64(0), reader.GetDouble(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetDecimal(6), reader.GetString(7)));
        return rows;
    }
}
