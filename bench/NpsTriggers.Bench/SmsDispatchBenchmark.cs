using System.Diagnostics;
using Npgsql;
using NpsTriggers.Testing;

namespace NpsTriggers.Bench;

/// <summary>
/// SMS dispatch against the Twilio stand-in: the shared rate limit held by two replicas (issue 4), and unthrottled
/// sends per second against one Hangfire job per send (issue 7), measured in the same run.
/// </summary>
public static class SmsDispatchBenchmark
{
    /// <summary>Returns achieved / configured sends per second over a 60 s window.</summary>
    public static async Task<double> ThrottledAsync(double perSecond, double burst)
    {
        var count = RateWindow.InvitationsFor(perSecond);
        Console.WriteLine($"sms throttled: {count:N0} due SMS invitations, RateLimits:Sms:PerSecond={perSecond}, Burst={burst}, two dispatch hosts");
        await using var twilio = await TwilioStandIn.StartAsync();
        await using var smtp = await SmtpCaptureServer.StartAsync();
        var database = await PostgresServer.Shared.CreateDatabaseAsync("throttled");
        await using var data = NpgsqlDataSource.Create(database);
        await using var hosts = await DispatchHosts.StartAsync(2, database, twilio.BaseAddress, smtp, perSecond, burst, 100, 100);
        await DueInvitations.InsertAsync(data, "sms", count, "throttled");
        await WaitForAsync(twilio, count, TimeSpan.FromSeconds(count / perSecond * 2 + 60));
        var sent = await DueInvitations.CountAsync(data, "state = 'sent'");
        Console.WriteLine($"  {sent:N0} invitations sent");
        return RateWindow.Report(Read(twilio), perSecond);
    }

    /// <summary>Returns ours / naive sends per second.</summary>
    public static async Task<double> UnthrottledAsync(int count, int naiveCount)
    {
        Console.WriteLine($"sms unthrottled: {count:N0} due SMS invitations, one dispatch host (8 workers, 100 per job), limiter at 100,000/s");
        double ours;
        await using (var twilio = await TwilioStandIn.StartAsync())
        await using (var smtp = await SmtpCaptureServer.StartAsync())
        {
            var database = await PostgresServer.Shared.CreateDatabaseAsync("unthrottled");
            await using var data = NpgsqlDataSource.Create(database);
            await using var hosts = await DispatchHosts.StartAsync(1, database, twilio.BaseAddress, smtp, 100_000, 100_000, 100_000, 100_000);
            using var window = new UnconfirmedWindow();
            var clock = Stopwatch.StartNew();
            await DueInvitations.InsertAsync(data, "sms", count, "fast");
            var inserted = clock.Elapsed;
            await WaitForAsync(twilio, count, TimeSpan.FromMinutes(10));
            var wall = clock.Elapsed;
            var arrivals = Read(twilio);
            ours = arrivals.Rate;
            var sent = await DueInvitations.CountAsync(data, "state = 'sent'");
            Console.WriteLine($"  inserted in {inserted.TotalSeconds:F2} s; {arrivals.Count:N0} messages at the stand-in ({sent:N0} invitations sent)");
            Console.WriteLine($"  ours: {ours:N0} sends/s first to last message ({count / wall.TotalSeconds:N0}/s from insert to last message, including the sweep tick)");
            Console.WriteLine($"  duplicate window (Twilio call start → sent committed), {window.Describe()}");
        }
        var naive = await NaiveSmsBaseline.RunAsync(naiveCount);
        var ratio = ours / naive;
        Console.WriteLine($"  ratio ours / naive = {ratio:F2}x (target in issue 7: >= 1,000 SMS/s; measured {ours:N0}/s)");
        return ratio;
    }

    public static Arrivals Read(TwilioStandIn twilio) =>
        new([.. twilio.Messages.Select(m => m.AcceptedAt / (double)Stopwatch.Frequency)]);

    public static async Task WaitForAsync(TwilioStandIn twilio, int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (twilio.Messages.Count < count)
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"{twilio.Messages.Count:N0} of {count:N0} messages after {timeout.TotalSeconds:F0} s.");
            await Task.Delay(100);
        }
    }
}
