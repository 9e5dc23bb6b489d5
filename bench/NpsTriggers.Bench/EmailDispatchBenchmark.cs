using System.Diagnostics;
using Npgsql;
using NpsTriggers.Testing;

namespace NpsTriggers.Bench;

/// <summary>
/// Email dispatch against the SMTP capture server (aiosmtpd, scripts/smtp-capture.py): the shared rate limit held by
/// two replicas, and unthrottled sends per second over pooled connections against one Hangfire job per email that
/// connects for its one message, measured in the same run.
/// </summary>
public static class EmailDispatchBenchmark
{
    /// <summary>Returns achieved / configured sends per second over a 60 s window.</summary>
    public static async Task<double> ThrottledAsync(double perSecond, double burst)
    {
        var count = RateWindow.InvitationsFor(perSecond);
        Console.WriteLine($"email throttled: {count:N0} due email invitations, RateLimits:Email:PerSecond={perSecond}, Burst={burst}, two dispatch hosts");
        await using var twilio = await TwilioStandIn.StartAsync();
        await using var smtp = await SmtpCaptureServer.StartAsync();
        var database = await PostgresServer.Shared.CreateDatabaseAsync("throttledmail");
        await using var data = NpgsqlDataSource.Create(database);
        await using var hosts = await DispatchHosts.StartAsync(2, database, twilio.BaseAddress, smtp, 100_000, 100_000, perSecond, burst);
        await DueInvitations.InsertAsync(data, "email", count, "throttledmail");
        await WaitForAsync(smtp, count, TimeSpan.FromSeconds(count / perSecond * 2 + 60));
        var sent = await DueInvitations.CountAsync(data, "state = 'sent'");
        Console.WriteLine($"  {sent:N0} invitations sent");
        return RateWindow.Report(Read(smtp), perSecond);
    }

    /// <summary>Returns ours / naive sends per second.</summary>
    public static async Task<double> UnthrottledAsync(int count, int naiveCount)
    {
        Console.WriteLine($"email unthrottled: {count:N0} due email invitations, one dispatch host (8 workers, 100 per job, Smtp:MaxConnections 8), limiter at 100,000/s");
        double ours;
        await using (var twilio = await TwilioStandIn.StartAsync())
        await using (var smtp = await SmtpCaptureServer.StartAsync())
        {
            var database = await PostgresServer.Shared.CreateDatabaseAsync("fastmail");
            await using var data = NpgsqlDataSource.Create(database);
            await using var hosts = await DispatchHosts.StartAsync(1, database, twilio.BaseAddress, smtp, 100_000, 100_000, 100_000, 100_000);
            using var window = new UnconfirmedWindow();
            var clock = Stopwatch.StartNew();
            await DueInvitations.InsertAsync(data, "email", count, "fastmail");
            await WaitForAsync(smtp, count, TimeSpan.FromMinutes(10));
            var wall = clock.Elapsed;
            var arrivals = Read(smtp);
            ours = arrivals.Rate;
            var sent = await DueInvitations.CountAsync(data, "state = 'sent'");
            Console.WriteLine($"  {arrivals.Count:N0} messages at the SMTP server ({sent:N0} invitations sent)");
            Console.WriteLine($"  ours: {ours:N0} sends/s first to last message ({count / wall.TotalSeconds:N0}/s from insert to last message, including the sweep tick)");
            Console.WriteLine($"  duplicate window (SMTP send start → sent committed), {window.Describe()}");
        }
        var naive = await NaiveEmailBaseline.RunAsync(naiveCount);
        var ratio = ours / naive;
        Console.WriteLine($"  ratio ours / naive = {ratio:F2}x (target in issue 7: >= 500 emails/s; measured {ours:N0}/s)");
        return ratio;
    }

    public static int Captured(SmtpCaptureServer smtp) =>
        Directory.Exists(smtp.Directory) ? Directory.EnumerateFiles(smtp.Directory, "*.eml").Count() : 0;

    /// <summary>Arrival times are the files' write times: the capture server writes each message as it accepts it.</summary>
    public static Arrivals Read(SmtpCaptureServer smtp) =>
        new([.. Directory.EnumerateFiles(smtp.Directory, "*.eml").Select(f => File.GetLastWriteTimeUtc(f).Ticks / (double)TimeSpan.TicksPerSecond)]);

    public static async Task WaitForAsync(SmtpCaptureServer smtp, int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Captured(smtp) < count)
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"{Captured(smtp):N0} of {count:N0} messages after {timeout.TotalSeconds:F0} s.");
            await Task.Delay(500);
        }
    }
}
