using System.Diagnostics;
using Npgsql;
using NpsTriggers.Ingest.Loop;

namespace NpsTriggers.Bench;

/// <summary>
/// The publisher catching up on a backlog of response events (after a Kafka outage, or a burst of replies faster than
/// it publishes): the stream's read alone (<see cref="ResponseEventStream"/>, lock the cursor, read a batch, move the
/// cursor past it), on one connection, until nothing is left. No broker: what is measured is what each round costs
/// PostgreSQL. The baseline, in the same run, is the same read with the planner free to sort every event after the
/// cursor before taking a batch, as it chose to before (no incremental sort on its connection, so the read's "no sort"
/// leaves it only a full sort; JIT off, so that this costs what the sort costs and not a compilation). Each side gets
/// its own database with the same backlog, recorded by the API answers' statement in batches of 13 (a transaction
/// each, as the writer's lanes record them); the two alternate round by round.
/// </summary>
internal static class StreamCatchUpBenchmark
{
    private const int PerTransaction = 13;

    /// <summary>Returns PostgreSQL's CPU for the whole catch-up, as shipped against the baseline.</summary>
    public static async Task<double> RunAsync(int backlog, int batch)
    {
        var shipped = await BacklogAsync("catchup", backlog);
        var sorting = await BacklogAsync("catchup_sorting", backlog);
        // One connection per side, kept for the whole run (the test cluster's connection strings let idle ones go after
        // seconds), so that each side's reads run on one backend whose CPU time is read.
        const string OneConnection = ";Maximum Pool Size=1;Connection Idle Lifetime=3600";
        await using var shippedData = NpgsqlDataSource.Create(shipped + OneConnection);
        await using var sortingData = NpgsqlDataSource.Create(sorting + OneConnection + ";Options=-c enable_incremental_sort=off -c jit=off");
        await ReadinessAsync(shippedData, backlog);
        var sides = new[] { new Side("read as shipped", shippedData), new Side("read free to sort (baseline)", sortingData) };
        foreach (var side in sides)
            await side.StartAsync();
        while (sides.Any(s => !s.Done))
            foreach (var side in sides.Where(s => !s.Done))
                await side.RoundAsync(batch);

        Console.WriteLine($"Stream catch-up: a backlog of {backlog:N0} response events in transactions of {PerTransaction}, read in rounds of {batch}, one connection per side, rounds alternating:");
        foreach (var side in sides)
            side.Print(backlog);
        return sides[0].Cpu / sides[1].Cpu;
    }

    /// <summary>
    /// The readiness check's look at the stream while the whole backlog waits: the event the stream waits on
    /// (<see cref="OutboxHealthCheck.FirstWaitingSql"/>) against the oldest of all waiting events, as it read before.
    /// </summary>
    private static async Task ReadinessAsync(NpgsqlDataSource data, int backlog)
    {
        const string Oldest = "select min(created_at) from response_events_waiting";
        var (first, oldest) = (new List<double>(), new List<double>());
        for (var round = 0; round < 21; round++)
        {
            first.Add(await TimedAsync(data, OutboxHealthCheck.FirstWaitingSql));
            oldest.Add(await TimedAsync(data, Oldest));
        }
        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        Console.WriteLine($"Readiness with {backlog:N0} events waiting (median of 21 alternated): the event the stream waits on {Median(first),8:F3} ms, " +
            $"the oldest of all (before) {Median(oldest),8:F3} ms");
    }

    private static async Task<double> TimedAsync(NpgsqlDataSource data, string sql)
    {
        await using var command = data.CreateCommand(sql);
        var clock = Stopwatch.StartNew();
        await command.ExecuteScalarAsync();
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>A database whose stream holds <paramref name="backlog"/> unpublished events of recorded API answers, analyzed.</summary>
    private static async Task<string> BacklogAsync(string prefix, int backlog)
    {
        var (connectionString, ids) = await RecordingStatementBenchmark.DatabaseAsync(prefix, backlog, foreignKey: false);
        await using var data = NpgsqlDataSource.Create(connectionString);
        await RecordingStatementBenchmark.RoundAsync(data, ids[..backlog], PerTransaction);
        await using var analyze = data.CreateCommand("analyze response_events");
        await analyze.ExecuteNonQueryAsync();
        return connectionString;
    }

    private sealed class Side(string name, NpgsqlDataSource data)
    {
        private readonly ResponseEventStream _stream = new(data);
        private readonly List<(int Events, TimeSpan Cpu)> _rounds = [];
        private readonly Stopwatch _wall = new();
        private int _backend;

        public bool Done { get; private set; }

        public TimeSpan Cpu => _rounds.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Cpu);

        public async Task StartAsync()
        {
            // The pool holds one connection: the reads below run on this backend.
            await using var connection = await data.OpenConnectionAsync();
            _backend = connection.ProcessID;
        }

        public async Task RoundAsync(int batch)
        {
            var before = RecordingStatementBenchmark.BackendCpu(_backend);
            _wall.Start();
            int events;
            await using (var read = await _stream.LockAsync(batch, TimeSpan.FromMinutes(1), CancellationToken.None)
                               ?? throw new InvalidOperationException("No other publisher runs here."))
            {
                events = read.Events.Count;
                await read.CompleteAsync(events, [], CancellationToken.None);
            }
            _wall.Stop();
            _rounds.Add((events, RecordingStatementBenchmark.BackendCpu(_backend) - before));
            Done = events == 0;
        }

        public void Print(int backlog)
        {
            var read = _rounds.Sum(r => r.Events);
            if (read != backlog)
                throw new InvalidOperationException($"{name}: {read:N0} of {backlog:N0} events read.");
            var first = _rounds[0];
            var last = _rounds.Last(r => r.Events > 0);
            Console.WriteLine($"  {name,-30} {_rounds.Count - 1,4} rounds, {_wall.Elapsed.TotalSeconds,6:F2} s, PostgreSQL CPU {Cpu.TotalMicroseconds / read,7:F1} µs per event " +
                $"(first round {first.Cpu.TotalMicroseconds / first.Events,7:F1}, last {last.Cpu.TotalMicroseconds / last.Events,6:F1})");
        }
    }
}
