using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Storage;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Ingest.Replies;
using NpsTriggers.Testing;

namespace NpsTriggers.Bench;

/// <summary>
/// The API answers' recording statement alone (<see cref="ReplyStatements"/>, as <see cref="ReplyWriter"/> runs it: one
/// prepared batch per round trip, given each batch's values), on one connection, so that PostgreSQL's own CPU per answer
/// can be read without HTTP, wrk or the other loads beside it. The baseline is the same statement in a second database
/// of the same cluster that still has the foreign key from <c>responses</c> to <c>invitations</c> which migration 0029
/// dropped. The two alternate round by round, and each side's figure is its median round.
/// </summary>
internal static class RecordingStatementBenchmark
{
    public static async Task<double> RunAsync(int perRound, int rounds, int batchSize)
    {
        var shipped = await DatabaseAsync("statement", perRound * rounds, foreignKey: false);
        var baseline = await DatabaseAsync("statement_fk", perRound * rounds, foreignKey: true);
        await using var shippedData = NpgsqlDataSource.Create(shipped.ConnectionString);
        await using var baselineData = NpgsqlDataSource.Create(baseline.ConnectionString);
        // Warm both (the server's caches, the prepared plan) on answers not counted.
        var warm = Math.Min(2_000, perRound);
        await RoundAsync(shippedData, shipped.Ids[..warm], batchSize);
        await RoundAsync(baselineData, baseline.Ids[..warm], batchSize);
        var ours = new List<(double CpuUs, double WallUs)>();
        var theirs = new List<(double CpuUs, double WallUs)>();
        for (var round = 0; round < rounds; round++)
        {
            var from = warm + round * perRound;
            var count = Math.Min(perRound, shipped.Ids.Length - from);
            if (count <= 0)
                break;
            ours.Add(await RoundAsync(shippedData, shipped.Ids[from..(from + count)], batchSize));
            theirs.Add(await RoundAsync(baselineData, baseline.Ids[from..(from + count)], batchSize));
        }
        var (oursCpu, oursWall) = Median(ours);
        var (theirsCpu, theirsWall) = Median(theirs);
        Console.WriteLine($"API answers' recording statement, {batchSize} answers per batch, {ours.Count} rounds of {perRound:N0} each, one connection:");
        Console.WriteLine($"  with the foreign key (baseline)  PostgreSQL CPU {theirsCpu,6:F1} µs per answer, wall {theirsWall,6:F1} µs per answer (median round)");
        Console.WriteLine($"  as shipped (migration 0029)      PostgreSQL CPU {oursCpu,6:F1} µs per answer, wall {oursWall,6:F1} µs per answer (median round)");
        Console.WriteLine($"  rounds, shipped/baseline CPU: {string.Join(", ", ours.Zip(theirs, (o, t) => (o.CpuUs / t.CpuUs).ToString("F3", CultureInfo.InvariantCulture)))}");
        return oursCpu / theirsCpu;
    }

    private static (double, double) Median(List<(double CpuUs, double WallUs)> rounds) =>
        (rounds.Select(r => r.CpuUs).Order().ElementAt(rounds.Count / 2), rounds.Select(r => r.WallUs).Order().ElementAt(rounds.Count / 2));

    private static async Task<(string ConnectionString, Guid[] Ids)> DatabaseAsync(string prefix, int answers, bool foreignKey)
    {
        var connectionString = await PostgresServer.Shared.CreateDatabaseAsync(prefix);
        await using var data = NpgsqlDataSource.Create(connectionString);
        await new DatabaseMigrator(data, TimeProvider.System, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);
        if (foreignKey)
        {
            await using var key = data.CreateCommand(
                "alter table responses add constraint responses_invitation_id_fkey foreign key (invitation_id) references invitations (id)");
            await key.ExecuteNonQueryAsync();
        }
        await DueInvitations.InsertSentAsync(data, answers + 2_000, "api");
        await using (var analyze = data.CreateCommand("vacuum analyze invitations"))
            await analyze.ExecuteNonQueryAsync();
        var ids = new List<Guid>();
        await using (var read = data.CreateCommand("select id from invitations where event_id like 'api-%'"))
        await using (var reader = await read.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                ids.Add(reader.GetGuid(0));
        // Answered in an order other than the table's, as customers answer (ReplyBenchmark); a fixed seed for both.
        var shuffled = ids.ToArray();
        new Random(29).Shuffle(shuffled);
        return (connectionString, shuffled);
    }

    /// <summary>Answers <paramref name="ids"/> in batches; PostgreSQL's CPU (its backend's, from /proc) and the wall time per answer.</summary>
    private static async Task<(double CpuUs, double WallUs)> RoundAsync(NpgsqlDataSource data, Guid[] ids, int batchSize)
    {
        var outbox = new ResponseOutbox(Options.Create(new OutboxOptions()), Options.Create(new AlertOptions()), TimeProvider.System);
        await using var connection = await data.OpenConnectionAsync();
        var backend = connection.ProcessID;
        var cpuBefore = BackendCpu(backend);
        var clock = Stopwatch.StartNew();
        NpgsqlBatch? batch = null;
        try
        {
            for (var at = 0; at < ids.Length; at += batchSize)
            {
                var answers = ids[at..Math.Min(ids.Length, at + batchSize)]
                    .Select((id, n) => new ApiResponseStore.ApiAnswer(id, (at + n) % 11, null, "kiosk")).ToList();
                if (batch is null || answers.Count != batchSize)
                {
                    if (batch is not null)
                        await batch.DisposeAsync();
                    batch = new NpgsqlBatch(connection) { BatchCommands = { ReplyStatements.InsertAnswersCommand(answers, TimeProvider.System.GetUtcNow(), outbox) } };
                    await batch.PrepareAsync();
                }
                else
                {
                    ReplyStatements.BindAnswers(batch.BatchCommands[0], answers, TimeProvider.System.GetUtcNow());
                }
                var recorded = 0;
                await using (var reader = await batch.ExecuteReaderAsync())
                    foreach (var outcome in await ReplyStatements.ReadAnswerOutcomesAsync(reader, CancellationToken.None))
                        recorded += outcome.Outcome == ApiRecordOutcome.Recorded ? 1 : 0;
                if (recorded != answers.Count)
                    throw new InvalidOperationException($"{recorded} of {answers.Count} answers recorded.");
            }
        }
        finally
        {
            if (batch is not null)
                await batch.DisposeAsync();
        }
        var wall = clock.Elapsed;
        var cpu = BackendCpu(backend) - cpuBefore;
        return (cpu.TotalMicroseconds / ids.Length, wall.TotalMicroseconds / ids.Length);
    }

    /// <summary>A backend's time on a CPU so far, from the first field of /proc/&lt;pid&gt;/schedstat (nanoseconds).</summary>
    private static TimeSpan BackendCpu(int pid)
    {
        var nanoseconds = long.Parse(File.ReadAllText($"/proc/{pid}/schedstat").Split(' ')[0], CultureInfo.InvariantCulture);
        return TimeSpan.FromTicks(nanoseconds / 100);
    }
}
