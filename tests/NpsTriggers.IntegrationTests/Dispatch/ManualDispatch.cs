using System.Collections.Concurrent;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NpsTriggers.Dispatch;
using NpsTriggers.Dispatch.Scheduling;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Dispatch;

/// <summary>
/// Dispatch driven by the test instead of Hangfire's clock: a sweep whose enqueued jobs are captured, and those jobs run
/// when (and as often as) the test says. Hosts started with <c>Dispatch:SweepCron = NeverCron</c> sweep only this way.
/// </summary>
internal static class ManualDispatch
{
    public const string NeverCron = "0 0 31 2 *";

    /// <summary>Captures what the sweep enqueues instead of handing it to Hangfire, so the test decides how often each job runs.</summary>
    private sealed class CapturedJobs : IBackgroundJobClient
    {
        public ConcurrentQueue<Job> Jobs { get; } = new();

        public string Create(Job job, IState state)
        {
            Jobs.Enqueue(job);
            return Jobs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool ChangeState(string jobId, IState state, string expectedState) => throw new NotSupportedException();
    }

    /// <summary>Runs one sweep; the send jobs it would have enqueued (claim token and ids each).</summary>
    public static Task<List<(Guid Claim, Guid[] Ids)>> ClaimAsync(ServiceUnderTest service) => ClaimAsync<SendInvitationsJob>(service);

    /// <summary>Runs one sweep; the jobs of type <typeparamref name="TJob"/> it would have enqueued (claim token and ids each).</summary>
    public static async Task<List<(Guid Claim, Guid[] Ids)>> ClaimAsync<TJob>(ServiceUnderTest service)
    {
        var jobs = new CapturedJobs();
        var sweep = new DueInvitationsSweep(service.DataSource, jobs, service.Host!.Services.GetRequiredService<IOptions<DispatchOptions>>(),
            service.Clock, NullLogger<DueInvitationsSweep>.Instance);
        await sweep.RunAsync(CancellationToken.None);
        return [.. jobs.Jobs.Where(j => j.Type == typeof(TJob)).Select(j => ((Guid)j.Args[0], (Guid[])j.Args[1]))];
    }

    public static Task RunAsync(RunningHost host, Guid claim, Guid[] ids) => Task.Run(async () =>
    {
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SendInvitationsJob>().RunAsync(claim, ids, CancellationToken.None);
    });
}
