using System.Net;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Faults;

/// <summary>
/// A dispatch process SIGKILLed while Hangfire's scheduler held a recurring job's lock leaves the lock row behind
/// (Hangfire.PostgreSql frees it only after its <c>DistributedLockTimeout</c>, ten minutes). The next start must not
/// wait for it or die of it: <c>ProcessKillTests</c> met this by chance, a restarted host exiting with 134 "before it
/// was live" because registering the recurring jobs timed out on that lock.
/// </summary>
public sealed class StaleHangfireLockTests
{
    private const string SweepLock = "hangfire:lock:recurring-job:dispatch-due-invitations";
    private const string NewCron = "*/7 * * * * *";

    [Fact]
    public async Task Dispatch_StartingWhileADeadProcessHoldsTheSweepsLock_IsLiveAtOnceAndRegistersTheSweepOnceTheLockIsGone()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Roles"] = "dispatch" });
        const string storedCron = "select value from hangfire.hash where key = 'recurring-job:dispatch-due-invitations' and field = 'Cron'";
        await Eventually.Until(() => service.ScalarAsync<string>(storedCron), cron => cron == "* * * * * *", TimeSpan.FromSeconds(30), "the first start's sweep");
        await service.StopHostAsync();
        // What a process killed inside Hangfire's recurring-job scheduler leaves: the lock row, taken a moment ago.
        await service.ScalarAsync<int>($"insert into hangfire.lock (resource, acquired) values ('{SweepLock}', now() at time zone 'utc') returning 0");

        var host = await service.StartHostAsync(new Dictionary<string, string?> { ["Dispatch:SweepCron"] = NewCron });
        (await host.Http.GetAsync("/healthz/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        // Registration waits for the lock (Hangfire's own timeout), gives up, says so, and tries again later.
        await Eventually.Until(() => Task.FromResult(service.Logs.Lines.Count(l => l.Contains("Could not register the recurring jobs", StringComparison.Ordinal))),
            n => n >= 1, TimeSpan.FromSeconds(60), "a warning that the registration waits");
        (await service.ScalarAsync<string>(storedCron)).ShouldBe("* * * * * *", "the schedule stored before stays while the lock is held");
        (await host.Http.GetAsync("/healthz/live")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await service.ScalarAsync<int>($"delete from hangfire.lock where resource = '{SweepLock}' returning 0");
        await Eventually.Until(() => service.ScalarAsync<string>(storedCron), cron => cron == NewCron, TimeSpan.FromSeconds(30), "the new schedule");
    }
}
