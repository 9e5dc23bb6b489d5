using System.Diagnostics;
using System.Globalization;
using Npgsql;
using NpsTriggers.Testing;

namespace NpsTriggers.Bench;

/// <summary>
/// The shared SMS rate limit, held across two dispatch replicas: the sends per second the Twilio stand-in receives
/// over a minute, against the configured rate. The same run first measures what the two replicas send unthrottled
/// (the baseline), so the limit is shown to be what holds the rate back, not the machine.
/// </summary>
public static class RateLimitBenchmark
{
    private const string Sender = TwilioStandIn.From;

    public static async Task<double> RunAsync(double rate, int windowSeconds)
    {
        Console.WriteLine($"rate limit: 2 dispatch replicas, one Twilio sender, {windowSeconds} s window");
        // The duplicate window of every send (provider call start → `sent` committed), from the dispatcher's own histogram.
        var windows = new System.Collections.Concurrent.ConcurrentBag<double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "nps.sends.unconfirmed_window")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => windows.Add(value));
        listener.Start();
        var capacity = await MeasureAsync(limit: 100_000, burst: 100_000, count: 3_000, warmUp: TimeSpan.Zero, window: null);
        Console.WriteLine($"  baseline, unthrottled: {capacity:N0} SMS/s");
        var sorted = windows.Order().ToArray();
        if (sorted.Length > 0)
            Console.WriteLine($"  duplicate window (Twilio call start → sent committed), {sorted.Length:N0} sends: " +
                $"p50 {sorted[sorted.Length / 2]:N1} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:N1} ms, max {sorted[^1]:N1} ms");
        listener.Dispose();
        if (capacity < 2 * rate)
            Console.WriteLine($"  WARNING: the machine sends only {capacity:N0}/s unthrottled; a limit of {rate}/s is not the bottleneck it should be");

        var warmUp = TimeSpan.FromSeconds(5);
        var count = (int)(rate * (windowSeconds + warmUp.TotalSeconds + 10));
        var achieved = await MeasureAsync(rate, burst: Math.Max(1, rate / 10), count, warmUp, TimeSpan.FromSeconds(windowSeconds));
        var ratio = achieved / rate;
        Console.WriteLine($"  throttled at {rate:N0}/s: {achieved:N2} SMS/s over {windowSeconds} s after a {warmUp.TotalSeconds:N0} s warm-up");
        Console.WriteLine($"  held within {Math.Abs(ratio - 1):P2} of the configured rate ({(Math.Abs(ratio - 1) <= 0.05 ? "within" : "OUTSIDE")} the 5% target)");
        return ratio;
    }

    /// <summary>Sends <paramref name="count"/> due SMS through two replicas; returns SMS/s over the window (or over the whole run).</summary>
    private static async Task<double> MeasureAsync(double limit, double burst, int count, TimeSpan warmUp, TimeSpan? window)
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        var database = await PostgresServer.Shared.CreateDatabaseAsync("ratelimit");
        var pickup = Directory.CreateTempSubdirectory("nps-bench-mail");
        var settings = new Dictionary<string, string?>
        {
            ["Roles"] = "dispatch",
            ["Postgres:ConnectionString"] = database,
            ["Rules:Path"] = RepoRoot.Combine("src", "Host", "send-rules.yaml"),
            ["Smtp:PickupDirectory"] = pickup.FullName,
            ["Email:FromAddress"] = "surveys@acme.test",
            ["Twilio:AccountSid"] = TwilioStandIn.AccountSid,
            ["Twilio:AuthToken"] = TwilioStandIn.AuthToken,
            ["Twilio:From"] = Sender,
            ["Twilio:BaseAddress"] = twilio.BaseAddress.ToString(),
            ["Dispatch:SweepCron"] = "* * * * * *",
            ["Dispatch:SendChunkSize"] = "50",
            ["RateLimits:Sms:PerSecond"] = limit.ToString(CultureInfo.InvariantCulture),
            ["RateLimits:Sms:Burst"] = burst.ToString(CultureInfo.InvariantCulture),
        };
        await using var first = await RunningHost.StartAsync(settings);
        await using var second = await RunningHost.StartAsync(settings);
        await using (var data = NpgsqlDataSource.Create(database))
        await using (var insert = data.CreateCommand("""
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, customer_id, phone, name, locale,
                                     attributes, state, created_at, due_at, valid_for)
            select gen_random_uuid(), '/bench', 'rate-' || n, 'ticket.closed', 'bench-sms', 'support', 'sms', 'c-' || n,
                   '+49151' || lpad(n::text, 8, '0'), 'Bo', 'en-GB', '{}', 'scheduled', now(), now(), interval '7 days'
            from generate_series(1, @count) n
            """))
        {
            insert.Parameters.AddWithValue("count", count);
            await insert.ExecuteNonQueryAsync();
        }

        var clock = Stopwatch.StartNew();
        while (twilio.Messages.Count < count && clock.Elapsed < TimeSpan.FromMinutes(10))
            await Task.Delay(100);
        var stamps = twilio.Messages.Select(m => m.AcceptedAt).Order().ToArray();
        if (stamps.Length < count)
            throw new InvalidOperationException($"Only {stamps.Length} of {count} SMS arrived within 10 minutes.");
        if (twilio.Messages.Select(m => m.To).Distinct().Count() != count)
            throw new InvalidOperationException("A number received two messages: the benchmark measured duplicates.");
        pickup.Delete(recursive: true);
        if (window is not { } length)
            return count / Stopwatch.GetElapsedTime(stamps[0], stamps[^1]).TotalSeconds;
        var from = stamps[0] + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        var to = from + (long)(length.TotalSeconds * Stopwatch.Frequency);
        if (stamps[^1] < to)
            throw new InvalidOperationException("The sends ended before the window did; send more.");
        return stamps.Count(s => s >= from && s < to) / length.TotalSeconds;
    }
}
