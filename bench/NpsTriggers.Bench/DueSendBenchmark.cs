using Npgsql;
using NpsTriggers.Testing;

namespace NpsTriggers.Bench;

/// <summary>
/// Due-send latency against the size of the backlog: with P invitations pending over the next 30 days, probe
/// invitations fall due at a steady 50/s for 40 s while one dispatch host (sweep every second) sends them to the
/// SMTP capture server. The delay from each probe's <c>due_at</c> to its <c>sent_at</c> (which includes the SMTP
/// call, milliseconds on loopback, so it bounds the delay to the send's start from above) is measured at P = 10,000 and
/// P = 1,000,000 in the same run.
/// </summary>
public static class DueSendBenchmark
{
    public sealed record Delays(double P50, double P99, double Max, long Sent);

    /// <summary>Returns p99 at the largest backlog / p99 at the smallest.</summary>
    public static async Task<double> RunAsync(int[] backlogs, int probes, TimeSpan spread)
    {
        ArgumentNullException.ThrowIfNull(backlogs);
        Console.WriteLine($"Due-send latency: {probes:N0} probes falling due over {spread.TotalSeconds:F0} s, backlogs {string.Join(", ", backlogs.Select(b => b.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))} pending over 30 days");
        var results = new List<(int Backlog, Delays Delays)>();
        foreach (var backlog in backlogs)
        {
            var delays = await MeasureAsync(backlog, probes, spread);
            Console.WriteLine($"  {backlog,10:N0} pending: due → sent p50 {delays.P50:F2} s, p99 {delays.P99:F2} s, max {delays.Max:F2} s ({delays.Sent:N0} probes sent)");
            results.Add((backlog, delays));
        }
        var ratio = results[^1].Delays.P99 / results[0].Delays.P99;
        Console.WriteLine($"  ratio p99 at {results[^1].Backlog:N0} / p99 at {results[0].Backlog:N0} = {ratio:F2} (target in issue 7: p99 < 5 s, not growing with the backlog)");
        return ratio;
    }

    private static async Task<Delays> MeasureAsync(int backlog, int probes, TimeSpan spread)
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        await using var smtp = await SmtpCaptureServer.StartAsync();
        var database = await PostgresServer.Shared.CreateDatabaseAsync($"due{backlog}");
        await using var data = NpgsqlDataSource.Create(database);
        await using var hosts = await DispatchHosts.StartAsync(1, database, twilio.BaseAddress, smtp, 100_000, 100_000, 100_000, 100_000);

        // The backlog: spread evenly over days 1 to 30 from now, so none falls due during the run.
        var now = TimeProvider.System.GetUtcNow();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await DueInvitations.InsertAsync(data, "email", backlog, "pending", now.AddDays(1),
            (i, first) => first + TimeSpan.FromDays(29) * ((double)i / backlog));
        await using (var analyze = data.CreateCommand("analyze invitations"))
            await analyze.ExecuteNonQueryAsync();
        Console.WriteLine($"  {backlog:N0} pending invitations written in {clock.Elapsed.TotalSeconds:F1} s");

        // The probes: written ahead, falling due one after another from 5 s from now.
        var start = TimeProvider.System.GetUtcNow().AddSeconds(5);
        await DueInvitations.InsertAsync(data, "email", probes, "probe", start, (i, first) => first + spread * ((double)i / probes));
        await DueInvitations.WaitForCountAsync(data, "event_id like 'probe-%' and state = 'sent'", probes, spread + TimeSpan.FromMinutes(2));
        if (await DueInvitations.CountAsync(data, "event_id like 'pending-%' and state <> 'scheduled'") != 0)
            throw new InvalidOperationException("A pending invitation was touched before it was due.");
        await using var query = data.CreateCommand("""
            select percentile_cont(0.5) within group (order by d), percentile_cont(0.99) within group (order by d), max(d), count(*)
            from (select extract(epoch from sent_at - due_at)::float8 d from invitations where event_id like 'probe-%') s
            """);
        await using var reader = await query.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Delays(reader.GetDouble(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetInt64(3));
    }
}
