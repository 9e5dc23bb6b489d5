using System.Net;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Faults;

/// <summary>
/// A dispatch process SIGKILLed while Hangfire's scheduler held a recurring job's lock leaves the lock row behind.
/// <c>ProcessKillTests</c> met this by chance: the restarted host exited with 134 "before it was live", because
/// registering the recurring jobs timed out on that lock; and while the row stands no replica's scheduler enqueues the
/// sweep. The next start must be live at once, and the row must stop counting after 30 s, not Hangfire.PostgreSql's
/// default 10 minutes.
/// </summary>
public sealed class StaleHangfireLockTests
{
    private const string SweepLock = "hangfire:lock:recurring-job:dispatch-due-invitations";
    private const string NewCron = "*/3 * * * * *";
    private const string Stored = "select value from hangfire.hash where key = 'recurring-job:dispatch-due-invitations' and field = @field";

    [Fact]
    public async Task Dispatch_StartingWhileADeadProcessHoldsTheSweepsLock_IsLiveAtOnce_AndTheSweepRunsAgainOnceTheLockExpires()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Roles"] = "dispatch" });
        await Eventually.Until(() => service.ScalarAsync<string>(Stored, ("field", "Cron")), cron => cron == "* * * * * *", TimeSpan.FromSeconds(30), "the first start's sweep");
        await Eventually.Until(() => service.ScalarAsync<long>("select count(*) from hangfire.hash where key = 'recurring-job:dispatch-due-invitations' and field = 'LastJobId'"),
            n => n == 1, TimeSpan.FromSeconds(30), "the sweep enqueued once");
        await service.StopHostAsync();
        var lastJob = await service.ScalarAsync<string>(Stored, ("field", "LastJobId"));
        // What a process killed inside Hangfire's recurring-job scheduler leaves: the lock row, taken a moment ago.
        var sinceKill = System.Diagnostics.Stopwatch.StartNew();
        await using (var insert = service.DataSource.CreateCommand($"insert into hangfire.lock (resource, acquired) values ('{SweepLock}', now() at time zone 'utc')"))
            await insert.ExecuteNonQueryAsync();

        var host = await service.StartHostAsync(new Dictionary<string, string?> { ["Dispatch:SweepCron"] = NewCron });
        (await host.Http.GetAsync("/healthz/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        // Registration waits for the lock (Hangfire's own wait), gives up, says so, and tries again later; the host stays up.
        await Eventually.Until(() => Task.FromResult(service.Logs.Lines.Count(l => l.Contains("Could not register the recurring jobs", StringComparison.Ordinal))),
            n => n >= 1, TimeSpan.FromSeconds(60), "a warning that the registration waits");
        if (sinceKill.Elapsed < TimeSpan.FromSeconds(25))
            (await service.ScalarAsync<string>(Stored, ("field", "Cron"))).ShouldBe("* * * * * *", "the schedule stored before stays while the lock stands");
        (await host.Http.GetAsync("/healthz/live")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Nobody removes the dead process's row: it expires after 30 s, the registration gets through, and the scheduler
        // enqueues the sweep again.
        await Eventually.Until(() => service.ScalarAsync<string>(Stored, ("field", "Cron")), cron => cron == NewCron, TimeSpan.FromSeconds(60), "the new schedule");
        await Eventually.Until(() => service.ScalarAsync<string>(Stored, ("field", "LastJobId")), id => id != lastJob, TimeSpan.FromSeconds(30), "the sweep enqueued again");
        sinceKill.Elapsed.ShouldBeGreaterThan(TimeSpan.FromSeconds(29), "the lock held until it expired");
    }
}
