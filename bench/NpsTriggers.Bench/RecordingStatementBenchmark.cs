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
/// can be read without HTTP, wrk or the other loads beside it. Two comparisons, each against a baseline in the same run,
/// alternating round by round, each side's figure its median round:
/// <list type="bullet">
/// <item>batches of 10 against a second database of the same cluster that still has the foreign key from
/// <c>responses</c> to <c>invitations</c>, which migration 0029 dropped;</item>
/// <item>lone answers and batches of 3 against the same statement planned again on every execution
/// (<c>plan_cache_mode = force_custom_plan</c> on the baseline's connection), which is what PostgreSQL chose for such
/// batches while the statement showed it the arrays' lengths.</item>
/// </list>
/// </summary>
internal static class RecordingStatementBenchmark
{
    /// <summary>Returns PostgreSQL's CPU per lone answer, kept plan against a plan per execution.</summary>
    public static async Task<double> RunAsync(int perRound, int rounds)
    {
        const int smallRound = 2_000;
        var shipped = await DatabaseAsync("statement", perRound * rounds + 2 * 2 * smallRound * rounds, foreignKey: false);
        var withKey = await DatabaseAsync("statement_fk", perRound * rounds, foreignKey: true);
        await using var shippedData = NpgsqlDataSource.Create(shipped.ConnectionString);
        await using var withKeyData = NpgsqlDataSource.Create(withKey.ConnectionString);
        await using var planEachTime = NpgsqlDataSource.Create(shipped.ConnectionString + ";Options=-c plan_cache_mode=force_custom_plan");
        var next = (Shipped: 0, WithKey: 0);
        Guid[] Take(ref int at, Guid[] ids, int count) => ids[at..(at += count)];

        // Warm both databases (the server's caches, the prepared plans) on answers not counted.
        await RoundAsync(shippedData, Take(ref next.Shipped, shipped.Ids, Warm), 10);
        await RoundAsync(withKeyData, Take(ref next.WithKey, withKey.Ids, Warm), 10);
        var (ours, theirs) = (new List<(double CpuUs, double WallUs)>(), new List<(double CpuUs, double WallUs)>());
        for (var round = 0; round < rounds; round++)
        {
            ours.Add(await RoundAsync(shippedData, Take(ref next.Shipped, shipped.Ids, perRound), 10));
            theirs.Add(await RoundAsync(withKeyData, Take(ref next.WithKey, withKey.Ids, perRound), 10));
        }
        Console.WriteLine($"API answers' recording statement, one connection, {rounds} alternated rounds per side (median round):");
        Print($"batches of 10, with the foreign key (baseline)", theirs);
        Print($"batches of 10, as shipped (migration 0029)", ours);

        double lone = 0;
        foreach (var size in new[] { 1, 3 })
        {
            var (kept, planned) = (new List<(double CpuUs, double WallUs)>(), new List<(double CpuUs, double WallUs)>());
            for (var round = 0; round < rounds; round++)
            {
                kept.Add(await RoundAsync(shippedData, Take(ref next.Shipped, shipped.Ids, smallRound), size));
                planned.Add(await RoundAsync(planEachTime, Take(ref next.Shipped, shipped.Ids, smallRound), size));
            }
            Print($"batches of {size}, planned on each execution (baseline)", planned);
            Print($"batches of {size}, one plan kept (as shipped)", kept);
            if (size == 1)
                lone = Median(kept).CpuUs / Median(planned).CpuUs;
        }
        Console.WriteLine($"  batches of 10 without/with the foreign key: {Median(ours).CpuUs / Median(theirs).CpuUs:F3}");
        return lone;
    }

    private const int Warm = 2_000;

    /// <summary>The outbox as configured by default: no alert webhooks, so the statement's text without their CTEs.</summary>
    private static readonly ResponseOutbox Outbox =
        new(Options.Create(new OutboxOptions()), Options.Create(new AlertOptions()), TimeProvider.System);

    private static void Print(string what, List<(double CpuUs, double WallUs)> rounds)
    {
        var (cpu, wall) = Median(rounds);
        Console.WriteLine($"  {what,-58} PostgreSQL CPU {cpu,6:F1} µs per answer, wall {wall,6:F1} µs per answer");
    }

    private static (double CpuUs, double WallUs) Median(List<(double CpuUs, double WallUs)> rounds) =>
        (rounds.Select(r => r.CpuUs).Order().ElementAt(rounds.Count / 2), rounds.Select(r => r.WallUs).Order().ElementAt(rounds.Count / 2));

    internal static async Task<(string ConnectionString, Guid[] Ids)> DatabaseAsync(string prefix, int answers, bool foreignKey)
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
        await DueInvitations.InsertSentAsync(data, answers + Warm, "api");
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
    internal static async Task<(double CpuUs, double WallUs)> RoundAsync(NpgsqlDataSource data, Guid[] ids, int batchSize)
    {
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
                    batch = new NpgsqlBatch(connection) { BatchCommands = { ReplyStatements.InsertAnswersCommand(answers, TimeProvider.System.GetUtcNow(), Outbox) } };
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
    internal static TimeSpan BackendCpu(int pid)
    {
        var nanoseconds = long.Parse(File.ReadAllText($"/proc/{pid}/schedstat").Split(' ')[0], CultureInfo.InvariantCulture);
        return TimeSpan.FromTicks(nanoseconds / 100);
    }
}
