using Npgsql;

namespace NpsTriggers.IntegrationTests.Loop;

/// <summary>
/// What a statement read, counted where it does not drift: the rows of each table read by sequential scans and the
/// entries of its indexes read, from PostgreSQL's statistics. The statements measured run on a data source of one
/// connection, which reports its counts at once (<c>pg_stat_force_next_flush</c>) before this reads them in a new
/// transaction; the statistics are the database's, so nothing else may read the tables meanwhile.
/// </summary>
internal static class RowsRead
{
    /// <summary>The counts so far for each of <paramref name="tables"/>, in their order.</summary>
    public static async Task<long[]> CountAsync(NpgsqlDataSource oneConnection, params string[] tables)
    {
        await using var connection = await oneConnection.OpenConnectionAsync();
        await using (var flush = new NpgsqlCommand("select pg_stat_force_next_flush()", connection))
            await flush.ExecuteNonQueryAsync();
        await using var read = new NpgsqlCommand("""
            select coalesce(t.seq_tup_read, 0) + coalesce((select sum(i.idx_tup_read) from pg_stat_user_indexes i where i.relid = t.relid), 0)::bigint
            from unnest(@tables) with ordinality as n (name, position)
            join pg_stat_user_tables t on t.relname = n.name
            order by n.position
            """, connection);
        read.Parameters.AddWithValue("tables", tables);
        var counts = new List<long>();
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts.Add(reader.GetInt64(0));
        counts.Count.ShouldBe(tables.Length, "every table has its statistics");
        return [.. counts];
    }
}
