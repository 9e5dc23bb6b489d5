using Hangfire;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// The recurring Hangfire job (<c>Dispatch:RelationalCron</c>) that runs the relational programmes; what they schedule,
/// and how, belongs to the triggers area (<see cref="IRelationalProgrammes"/>).
/// </summary>
public sealed class RelationalProgrammeJob(IRelationalProgrammes programmes)
{
    public const string RecurringJobId = "relational-programmes";

    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 10)]
    public Task<int> RunAsync(CancellationToken cancellationToken) => programmes.ScheduleDueAsync(cancellationToken);
}
