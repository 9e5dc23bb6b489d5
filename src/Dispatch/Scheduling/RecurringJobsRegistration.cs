using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// Writes the recurring jobs (the due-invitation sweep, the relational programmes) with this process's schedules into
/// Hangfire's storage, in the background and until it succeeds. It never fails the start: Hangfire takes a lock per
/// recurring job (its scheduler every second, this registration once), and a process killed while holding one leaves
/// the lock row behind until Hangfire.PostgreSql's <c>DistributedLockTimeout</c> expires it. A start that waited for
/// that lock and then threw would fail every restart for those minutes; meanwhile the definitions an earlier start
/// stored keep running, so retrying is all that is missing.
/// </summary>
internal sealed partial class RecurringJobsRegistration(IRecurringJobManager recurring, IOptions<DispatchOptions> options,
    ILogger<RecurringJobsRegistration> logger) : BackgroundService
{
    /// <summary>How long to wait after a failed attempt before the next one.</summary>
    internal static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // AddOrUpdate blocks (Hangfire's storage API is synchronous) while it waits for the job's lock.
        await Task.Yield();
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                recurring.AddOrUpdate<DueInvitationsSweep>(
                    DueInvitationsSweep.RecurringJobId, sweep => sweep.RunAsync(CancellationToken.None), options.Value.SweepCron);
                recurring.AddOrUpdate<RelationalProgrammeJob>(
                    RelationalProgrammeJob.RecurringJobId, job => job.RunAsync(CancellationToken.None), options.Value.RelationalCron);
                if (attempt > 1)
                    LogRegistered(attempt);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRetrying(e, attempt, RetryDelay);
            }
            // Hangfire's locks expire on the wall clock, so this waits on it too.
            await Task.Delay(RetryDelay, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not register the recurring jobs (attempt {Attempt}); the schedules stored before keep running, next attempt in {Delay}")]
    private partial void LogRetrying(Exception exception, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered the recurring jobs at attempt {Attempt}")]
    private partial void LogRegistered(int attempt);
}
