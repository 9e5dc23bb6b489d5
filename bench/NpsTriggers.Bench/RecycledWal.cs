using Npgsql;

namespace NpsTriggers.Bench;

/// <summary>
/// Gives the benchmark's cluster what a PostgreSQL server that has been running has: WAL segment files to reuse.
/// A server renames the segments a checkpoint no longer needs to future names and writes into them again; a cluster
/// made for the run has none, so every 16 MB of WAL it writes first creates and zero-fills a new file inside some
/// commit, and the commits queued behind it wait. In the reply loads that was a new segment every second or two and a
/// p99 of 55–65 ms for API answers instead of 15–17 ms (docs/BENCHMARKS.md, "A foreign key that could not fail").
/// </summary>
internal static class RecycledWal
{
    /// <summary>
    /// Keeps at least <paramref name="segments"/> segments (16 MB each) for reuse (<c>min_wal_size</c>), writes that
    /// many, and checkpoints, which renames them for reuse.
    /// </summary>
    public static async Task PrepareAsync(NpgsqlDataSource data, int segments)
    {
        var size = $"{segments * 16}MB";
        await using (var settings = data.CreateCommand(
            $"alter system set min_wal_size = '{size}'; alter system set max_wal_size = '{size}'"))
            await settings.ExecuteNonQueryAsync();
        await using (var reload = data.CreateCommand("select pg_reload_conf()"))
            await reload.ExecuteNonQueryAsync();
        // One small record in each segment, then a switch to the next: each iteration creates one file.
        await using (var fill = data.CreateCommand($"""
            do $$ begin
                for i in 1..{segments} loop
                    perform pg_logical_emit_message(false, 'npstriggers-bench', 'recycled wal');
                    perform pg_switch_wal();
                end loop;
            end $$
            """))
        {
            fill.CommandTimeout = 300;
            await fill.ExecuteNonQueryAsync();
        }
        await using var checkpoint = data.CreateCommand("checkpoint");
        checkpoint.CommandTimeout = 300;
        await checkpoint.ExecuteNonQueryAsync();
    }
}
