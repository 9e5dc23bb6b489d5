using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Dispatch;

/// <summary>
/// Each due invitation is sent once however many dispatchers, Hangfire servers and job runs touch it: two dispatch
/// hosts racing on one database, the same send job run several times at once (as Hangfire does after its
/// invisibility timeout, or on two servers), and a claim whose lease lapsed while its job was still queued.
/// </summary>
public sealed class ExactlyOnceDispatchTests
{
    private const string NeverCron = ManualDispatch.NeverCron;

    private static async Task PublishAsync(ServiceUnderTest service, int count, string prefix)
    {
        await service.PublishAsync([.. Enumerable.Range(0, count).Select(i =>
            BusinessEvents.Binary($"{prefix}-{i}", "order.delivered", BusinessEvents.OrderDelivered($"{prefix}{i}", $"{prefix}{i}@example.com"), ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations", count);
    }

    /// <param name="attempts">What each invitation's attempts read: 1, or 2 when a lapsed lease was taken back (that counts).</param>
    /// <param name="sweeping">The hosts sweep on Hangfire's clock; otherwise the test ran (and awaited) every send job itself.</param>
    private static async Task ShouldEachBeSentOnceAsync(ServiceUnderTest service, int count, int attempts = 1, bool sweeping = false)
    {
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", count);
        // A late duplicate comes from a send job still running or a sweep claiming a row again: wait for a sweep after the
        // last send and for every job up to it, so it would have arrived before counting.
        if (sweeping)
            await service.WaitForSweepAsync();
        var messages = await service.Smtp.WaitForMessagesAsync(count, TimeSpan.FromSeconds(10));
        messages.Count.ShouldBe(count);
        messages.Select(m => m.To.ToString()).Distinct().Count().ShouldBe(count);
        (await service.ScalarAsync<long>("select count(*) from invitations where state = 'sent' and attempts = @n", ("n", attempts))).ShouldBe(count);
    }

    [Fact]
    public async Task TwoDispatchHosts_DrainTheSameDueInvitations_EachSentExactlyOnce()
    {
        // Small claims and chunks so both hosts' sweeps and workers interleave on the same rows.
        var small = new Dictionary<string, string?> { ["Dispatch:ClaimBatchSize"] = "7", ["Dispatch:SendChunkSize"] = "3" };
        await using var service = await ServiceUnderTest.StartAsync(small);
        await using var replica = await service.StartReplicaAsync(new Dictionary<string, string?>(small) { ["Roles"] = "dispatch" });
        await PublishAsync(service, 150, "two");

        service.Clock.Advance(TimeSpan.FromDays(14));
        await ShouldEachBeSentOnceAsync(service, 150, sweeping: true);
    }

    private static Task<List<(Guid Claim, Guid[] Ids)>> ClaimAsync(ServiceUnderTest service) => ManualDispatch.ClaimAsync(service);

    private static Task RunAsync(RunningHost host, Guid claim, Guid[] ids) => ManualDispatch.RunAsync(host, claim, ids);

    [Fact]
    public async Task SendJob_RunFourTimesAtOnceOnTwoServers_SendsEachInvitationOnce()
    {
        var manual = new Dictionary<string, string?> { ["Dispatch:SweepCron"] = NeverCron, ["Dispatch:SendChunkSize"] = "10" };
        await using var service = await ServiceUnderTest.StartAsync(manual);
        await using var replica = await service.StartReplicaAsync(new Dictionary<string, string?>(manual) { ["Roles"] = "dispatch" });
        await PublishAsync(service, 40, "twice");
        service.Clock.Advance(TimeSpan.FromDays(14));

        var claims = await ClaimAsync(service);
        claims.Sum(c => c.Ids.Length).ShouldBe(40);
        // Hangfire runs a job again when it outlives the invisibility timeout, possibly on another server while the
        // first run is still going: every job here runs twice on each host, all at once.
        await Task.WhenAll(claims.SelectMany(c => new[] { service.Host!, replica, service.Host!, replica }.Select(h => RunAsync(h, c.Claim, c.Ids))));

        await ShouldEachBeSentOnceAsync(service, 40);
        // A run arriving after everything settled changes nothing.
        await RunAsync(replica, claims[0].Claim, claims[0].Ids);
        (await service.Smtp.WaitForMessagesAsync(40, TimeSpan.FromSeconds(1))).Count.ShouldBe(40);
    }

    [Fact]
    public async Task SendJob_StillQueuedWhenItsLeaseLapsed_LeavesTheReclaimToTheNewJob()
    {
        var manual = new Dictionary<string, string?> { ["Dispatch:SweepCron"] = NeverCron, ["Dispatch:ClaimLease"] = "00:00:30" };
        await using var service = await ServiceUnderTest.StartAsync(manual);
        await PublishAsync(service, 10, "lapsed");
        service.Clock.Advance(TimeSpan.FromDays(14));
        var stale = (await ClaimAsync(service)).ShouldHaveSingleItem();

        // The job waited in the queue (or its process died) past the lease: the next sweep claims the rows again.
        service.Clock.Advance(TimeSpan.FromSeconds(31));
        var fresh = (await ClaimAsync(service)).ShouldHaveSingleItem();
        fresh.Ids.Order().ShouldBe(stale.Ids.Order());
        fresh.Claim.ShouldNotBe(stale.Claim);

        await Task.WhenAll(RunAsync(service.Host!, stale.Claim, stale.Ids), RunAsync(service.Host!, fresh.Claim, fresh.Ids));
        // Taking the lapsed claim back counted as an attempt; the send is the second.
        await ShouldEachBeSentOnceAsync(service, 10, attempts: 2);
        (await service.ScalarAsync<long>("select count(*) from invitations where sending_at = @start", ("start", ServiceUnderTest.Start.AddDays(14)))).ShouldBe(10);
    }

    [Fact]
    public async Task SendJob_WaitingLongForTheRateLimit_RenewsItsLease_SoNoSweepTakesTheRestBack()
    {
        // One email a second, a 10 s lease: a job holding six emails renews its lease once it has waited a quarter of it.
        var slow = new Dictionary<string, string?>
        {
            ["Dispatch:SweepCron"] = NeverCron, ["Dispatch:ClaimLease"] = "00:00:10",
            ["RateLimits:Email:PerSecond"] = "1", ["RateLimits:Email:Burst"] = "1",
        };
        await using var service = await ServiceUnderTest.StartAsync(slow);
        await PublishAsync(service, 6, "slow");
        service.Clock.Advance(TimeSpan.FromDays(14));
        var job = (await ClaimAsync(service)).ShouldHaveSingleItem();
        var running = RunAsync(service.Host!, job.Claim, job.Ids);

        await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10));
        service.Clock.Advance(TimeSpan.FromSeconds(9)); // within the lease the job took
        await service.Smtp.WaitForMessagesAsync(4, TimeSpan.FromSeconds(20)); // ≥ 3 s of waiting for tokens later
        service.Clock.Advance(TimeSpan.FromSeconds(5)); // past the lease the job took, inside the one it renewed
        (await ClaimAsync(service)).ShouldBeEmpty("the job renewed its lease while it waited, so nothing looks abandoned");

        await running;
        await ShouldEachBeSentOnceAsync(service, 6);
    }
}
