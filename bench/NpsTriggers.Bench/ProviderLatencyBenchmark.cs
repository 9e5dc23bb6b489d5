using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using Npgsql;
using NpsTriggers.Testing;

namespace NpsTriggers.Bench;

/// <summary>
/// Issue 21: dispatch against providers that answer like real ones (the Twilio stand-in at 200 ms ± 50 ms, the SMTP
/// server at 60 ms ± 20 ms), rate limits at 225 SMS/s and 200 emails/s, one dispatch host on its defaults. Each channel
/// runs alone on a fresh database: first with calls in flight (the default), then the sequential baseline
/// (<c>Dispatch:SequentialSends=true</c>: one call in flight per worker), which is measured over its window and then
/// stopped rather than left to finish at its own pace.
/// </summary>
public static class ProviderLatencyBenchmark
{
    private const double SmsPerSecond = 225, EmailPerSecond = 200, Burst = 5;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    /// <summary>Returns the smaller of the two channels' achieved / configured, with calls in flight.</summary>
    public static async Task<double> RunAsync(int sms, int emails)
    {
        Console.WriteLine($"provider latency: one dispatch host (8 workers, 100 per job), Twilio stand-in 200 ms ± 50 ms, SMTP server 60 ms ± 20 ms");
        Console.WriteLine($"  {sms:N0} SMS at RateLimits:Sms {SmsPerSecond}/s and {emails:N0} emails at RateLimits:Email {EmailPerSecond}/s (burst {Burst}), due at once");
        var smsOurs = await RunChannelAsync("sms", sms, SmsPerSecond, sequential: false);
        var emailOurs = await RunChannelAsync("email", emails, EmailPerSecond, sequential: false);
        var smsBaseline = await RunChannelAsync("sms", sms, SmsPerSecond, sequential: true);
        var emailBaseline = await RunChannelAsync("email", emails, EmailPerSecond, sequential: true);
        Console.WriteLine($"  sms:   in flight {smsOurs:P1} of the cap, sequential baseline {smsBaseline:P1} ({smsOurs / smsBaseline:F2}x)");
        Console.WriteLine($"  email: in flight {emailOurs:P1} of the cap, sequential baseline {emailBaseline:P1} ({emailOurs / emailBaseline:F2}x)");
        var ratio = Math.Min(smsOurs, emailOurs);
        Console.WriteLine($"  a second counts as above the cap when it holds more than the bucket allows in one second: its rate plus its burst ({SmsPerSecond + Burst} SMS, {EmailPerSecond + Burst} emails)");
        Console.WriteLine($"  target: achieved/cap >= 0.95 on both channels: {(ratio >= 0.95 ? "PASS" : "FAIL")}");
        return ratio;
    }

    /// <summary>
    /// One channel with calls in flight and nothing else (<c>bash scripts/bench.sh provider-latency-quick sms|email
    /// [count]</c>): for looking at one change quickly; the issue's result is <see cref="RunAsync"/>'s.
    /// </summary>
    public static Task<double> RunQuickAsync(string channel, int count) =>
        RunChannelAsync(channel, count, channel == "sms" ? SmsPerSecond : EmailPerSecond, sequential: false);

    private static async Task<double> RunChannelAsync(string channel, int count, double cap, bool sequential)
    {
        // The window must lie wholly inside the sending: 60 s, or less when the due invitations last a shorter time at the cap.
        var window = TimeSpan.FromSeconds(Math.Min(60, Math.Floor(count / cap - WarmUp.TotalSeconds - 3)));
        var label = sequential ? "sequential baseline (Dispatch:SequentialSends=true)" : "in flight (Sms:MaxInFlight 100, Smtp:MaxConnections 32)";
        Console.WriteLine($"{channel}, {label}: window {WarmUp.TotalSeconds:F0}-{(WarmUp + window).TotalSeconds:F0} s after the first message");
        await using var twilio = await TwilioStandIn.StartAsync(latency: TimeSpan.FromMilliseconds(200), jitter: TimeSpan.FromMilliseconds(50));
        await using var smtp = await SmtpCaptureServer.StartAsync(latency: TimeSpan.FromMilliseconds(60), jitter: TimeSpan.FromMilliseconds(20));
        var database = await PostgresServer.Shared.CreateDatabaseAsync($"latency{channel}{(sequential ? "seq" : "")}");
        await using var data = NpgsqlDataSource.Create(database);
        await PgStatements.StartAsync(data);
        var rulesFolder = Path.Combine(Path.GetTempPath(), "npstriggers-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(rulesFolder);
        var rulesPath = Path.Combine(rulesFolder, "send-rules.yaml");
        await File.WriteAllTextAsync(rulesPath, DueInvitations.Rules);
        var hostDatabase = Environment.GetEnvironmentVariable("BENCH_CONNECTION_EXTRA") is { Length: > 0 } extra ? database + ";" + extra : database;
        var settings = DispatchHosts.Settings(hostDatabase, rulesPath, twilio.BaseAddress, smtp, SmsPerSecond, Burst, EmailPerSecond, Burst);
        settings["Dispatch:SequentialSends"] = sequential ? "true" : "false";
        using var unconfirmed = new UnconfirmedWindow();
        await using var stalls = new StallProbe();
        var cpu = new CpuMeter(PostgresServer.Shared.DataDirectory);
        CpuMeter.Reading cpuAtStart = default, cpuAtEnd = default;
        long forfeited = 0;
        Arrivals arrivals;
        try
        {
            await using var host = await RunningHost.StartAsync(settings);
            await DueInvitations.InsertAsync(data, channel, count, $"lat-{channel}");
            cpuAtStart = cpu.Read();
            // Wait for the window to close (or everything to be sent), not for a slow baseline to finish.
            var clock = Stopwatch.StartNew();
            var timeout = TimeSpan.FromSeconds(count / cap * 3 + 120);
            while (true)
            {
                arrivals = Read(channel, twilio, smtp);
                if (arrivals.Count >= count || arrivals.Count > 1 && arrivals.Span >= (WarmUp + window).TotalSeconds + 1)
                {
                    cpuAtEnd = cpu.Read();
                    forfeited = host.Services.GetRequiredService<NpsTriggers.Dispatch.Limits.SharedRateLimiter>().ForfeitedTokens;
                    break;
                }
                if (clock.Elapsed > timeout)
                    throw new TimeoutException($"{arrivals.Count:N0} of {count:N0} messages after {timeout.TotalSeconds:F0} s.");
                await Task.Delay(500);
            }
        }
        finally
        {
            Directory.Delete(rulesFolder, recursive: true);
        }
        if (arrivals.Span < (WarmUp + window).TotalSeconds)
            throw new InvalidOperationException($"Sending lasted {arrivals.Span:F1} s, less than warm-up and window.");
        var inWindow = arrivals.Between(WarmUp, window);
        var achieved = inWindow / window.TotalSeconds;
        var seconds = Enumerable.Range(0, (int)window.TotalSeconds).Select(i => arrivals.Between(WarmUp + TimeSpan.FromSeconds(i), TimeSpan.FromSeconds(1))).ToArray();
        var peak = channel == "sms" ? twilio.MaxConcurrent : smtp.Stats().MaxOpen;
        Console.WriteLine($"  {arrivals.Count:N0} messages received; window: {inWindow:N0} = {achieved:F1}/s, cap {cap}/s: achieved/cap {achieved / cap:F3}");
        Console.WriteLine($"  per second in the window: min {seconds.Min()}, max {seconds.Max()}; seconds above the rate {cap}/s: {seconds.Count(s => s > cap)}, "
            + $"above the bucket's one-second allowance {cap + Burst} (rate + burst): {seconds.Count(s => s > cap + Burst)}");
        Console.WriteLine($"  each second: {string.Join(' ', seconds)}");
        Console.WriteLine($"  most calls in flight at the provider: {peak}" + (channel == "sms" ? "" : " connections") + $"; rate tokens given up by calls that woke too late: {forfeited:N0}");
        Console.WriteLine($"  duplicate window (provider call start → sent committed), {unconfirmed.Describe()}");
        Console.WriteLine($"  stalls in the process (stand-ins included): {stalls.Describe()}");
        // Where PostgreSQL's time went, per message sent.
        if (PgStatements.Enabled)
            foreach (var row in await PgStatements.TopAsync(data, limit: 20, width: 140))
                Console.WriteLine($"    {row.Calls,8:N0} calls {row.TotalMs * 1000 / arrivals.Count,8:N0} µs/message {row.Rows,9:N0} rows {row.Blocks / (double)arrivals.Count,8:N1} blocks/message {row.WalRecords / (double)arrivals.Count,6:N1} WAL records/message  {row.Query}");
        Console.WriteLine($"  CPU per message sent, while sending: benchmark process (dispatch host and stand-ins) "
            + $"{(cpuAtEnd.Process - cpuAtStart.Process).TotalMicroseconds / arrivals.Count:N0} µs, PostgreSQL {(cpuAtEnd.Postgres - cpuAtStart.Postgres).TotalMicroseconds / arrivals.Count:N0} µs");
        return achieved / cap;
    }

    /// <summary>
    /// When each call reached the provider, close to when its token was drawn: the Twilio stand-in's request arrival
    /// (before its latency), the SMTP server's file write (at the end of DATA, before its latency).
    /// </summary>
    private static Arrivals Read(string channel, TwilioStandIn twilio, SmtpCaptureServer smtp) => channel == "sms"
        ? new([.. twilio.Messages.Select(m => m.ReceivedAt / (double)Stopwatch.Frequency), .. Pad(twilio.Messages.IsEmpty)])
        : EmailDispatchBenchmark.Captured(smtp) == 0 ? new([0]) : EmailDispatchBenchmark.Read(smtp);

    private static double[] Pad(bool empty) => empty ? [0] : [];
}
