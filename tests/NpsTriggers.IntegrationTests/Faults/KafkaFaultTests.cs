using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpsTriggers.Testing;
using NpsTriggers.Triggers;
using NpsTriggers.Triggers.Intake;

namespace NpsTriggers.IntegrationTests.Faults;

/// <summary>
/// Intake while the consumer group churns and the group coordinator misbehaves, on librdkafka's mock cluster. After
/// each: every event has exactly one invitation and one inbox row, nothing is dead-lettered, the consumers still run.
/// </summary>
public sealed class KafkaFaultTests
{
    private const short OffsetCommit = 8;
    private const short JoinGroup = 11;
    private const short Heartbeat = 12;
    private const short SyncGroup = 14;

    // The mock coordinator waits up to the session timeout for members to rejoin a rebalance, and only drops a member that
    // closed before its first join completed once its session expires: Kafka's 45 s default would make every churn round
    // wait most of a minute. Six seconds (and heartbeats every second) keeps the rounds a few seconds apart, as asked.
    private static Dictionary<string, string?> TriggersRole() => new()
    {
        ["Roles"] = "triggers",
        ["Kafka:BatchSize"] = "200",
        ["Kafka:Client:session.timeout.ms"] = "6000",
        ["Kafka:Client:heartbeat.interval.ms"] = "1000",
    };

    private static Message<byte[]?, byte[]?>[] Events(string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => BusinessEvents.Binary(
            $"{prefix}-{i}", "order.delivered", BusinessEvents.OrderDelivered($"{prefix}{i}", $"{prefix}{i}@example.com"), ServiceUnderTest.Start))];

    /// <summary>Records past the test group's committed offsets, over all partitions.</summary>
    private static long Uncommitted(ServiceUnderTest service) =>
        ConsumerGroupOffsets.Uncommitted(service.Kafka.BootstrapServers, "nps-triggers-test", BusinessEvents.Topic);

    private static async Task AssertEachEventOnceAsync(ServiceUnderTest service, int events)
    {
        try
        {
            await service.WaitForCountAsync("select count(*) from inbox", events, TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException e)
        {
            // Say where the gap is: which partitions, which offsets, and whether the group acknowledged past it.
            var partitions = await service.ScalarAsync<string>(
                "select coalesce(string_agg(format('p%s: %s rows, offsets %s..%s', partition, n, lo, hi), '; '), 'none') " +
                "from (select partition, count(*) n, min(\"offset\") lo, max(\"offset\") hi from inbox group by partition order by partition) p");
            var uncommitted = Uncommitted(service);
            throw new TimeoutException($"{e.Message}. Inbox by partition: {partitions}. Records past the group's committed offsets: {uncommitted}.", e);
        }
        (await service.ScalarAsync<long>("select count(*) from invitations")).ShouldBe(events);
        (await service.ScalarAsync<long>("select count(*) from (select 1 from invitations group by event_source, event_id having count(*) <> 1) d")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from inbox")).ShouldBe(events);
        (await service.ScalarAsync<long>("select count(*) from dead_letters")).ShouldBe(0);
    }

    [Fact]
    public async Task Intake_WhileConsumersJoinAndLeaveEveryFewSeconds_CreatesEachInvitationOnce()
    {
        var triggers = TriggersRole();
        await using var service = await ServiceUnderTest.StartAsync(triggers);
        const int rounds = 6, perRound = 1500;
        var replicas = new Queue<RunningHost>();
        try
        {
            for (var round = 0; round < rounds; round++)
            {
                // Load keeps arriving while the group rebalances: a replica joins on even rounds, the oldest leaves on odd ones.
                var publishing = service.PublishAsync(Events($"r{round}", perRound));
                RunningHost? joined = null;
                if (round % 2 == 0)
                    replicas.Enqueue(joined = await service.StartReplicaAsync(triggers));
                else
                    await replicas.Dequeue().DisposeAsync();
                await publishing;
                if (joined is not null)
                {
                    // The churn moves partitions: the group hands the newcomer some while the load runs, and it gives them
                    // back when it leaves next round. Cooperative rebalancing takes two rounds of joins for that, whose
                    // length depends on the machine, so wait for the hand-over instead of watching a fixed window.
                    var lag = joined.Services.GetRequiredService<TriggersMetrics>().Lag;
                    await Eventually.Until(() => Task.FromResult(lag.Count), n => n > 0, TimeSpan.FromSeconds(60), $"partitions assigned to the replica that joined in round {round}");
                }
                await Task.Delay(TimeSpan.FromSeconds(2)); // a few seconds between changes
            }
            await AssertEachEventOnceAsync(service, rounds * perRound);
        }
        finally
        {
            while (replicas.TryDequeue(out var replica))
                await replica.DisposeAsync();
        }
        service.Host!.Services.GetService(typeof(KafkaIntakeService)).ShouldBeOfType<KafkaIntakeService>().Running.ShouldBeTrue();
    }

    [Fact]
    public async Task Intake_WithOffsetCommitAndHeartbeatErrorsInjected_CreatesEachInvitationOnce()
    {
        var triggers = TriggersRole();
        await using var service = await ServiceUnderTest.StartAsync(triggers);
        await service.PublishAsync(Events("warm", 10));
        await service.WaitForCountAsync("select count(*) from inbox", 10);

        // The coordinator answers commits and heartbeats with the errors a broker gives during a rebalance or a
        // coordinator move; the rejoin that follows meets errors too.
        service.Kafka.PushRequestErrors(OffsetCommit,
            ErrorCode.RebalanceInProgress, ErrorCode.GroupCoordinatorNotAvailable, ErrorCode.NotCoordinatorForGroup, ErrorCode.RebalanceInProgress);
        service.Kafka.PushRequestErrors(Heartbeat,
            ErrorCode.RebalanceInProgress, ErrorCode.GroupCoordinatorNotAvailable, ErrorCode.RebalanceInProgress);
        service.Kafka.PushRequestErrors(JoinGroup, ErrorCode.GroupCoordinatorNotAvailable);
        service.Kafka.PushRequestErrors(SyncGroup, ErrorCode.RebalanceInProgress);
        for (var round = 0; round < 4; round++)
        {
            await service.PublishAsync(Events($"e{round}", 1000));
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // intake runs into the injected errors while load keeps arriving
        }
        await AssertEachEventOnceAsync(service, 10 + 4000);
        service.Host!.Services.GetService(typeof(KafkaIntakeService)).ShouldBeOfType<KafkaIntakeService>().Running.ShouldBeTrue();

        // Offsets are committed again once the errors are spent (auto-commit every second)… After a "coordinator not
        // available" on a commit, librdkafka can keep finding the coordinator and losing it again until the session times
        // out; the consumer then rejoins, re-reads from the last committed offsets (the inbox makes that a no-op) and
        // commits. That took from 5 to over 30 s on a loaded machine, so the bound is generous.
        await Eventually.Until(
            () => Task.Run(() => Uncommitted(service)),
            n => n == 0, TimeSpan.FromSeconds(120), "offsets committed up to the end of every partition");
        // …so a consumer that takes over starts where this one ended.
        await service.StopHostAsync();
        await using var after = await service.StartHostAsync();
        await service.PublishAsync(Events("after", 5));
        await AssertEachEventOnceAsync(service, 10 + 4000 + 5);
        var consumed = await Eventually.Until(() => MetricsScrape.SumAsync(after.Http, "nps_events_consumed_total"), n => n >= 5, TimeSpan.FromSeconds(10), "events consumed by the new host");
        consumed.ShouldBe(5, "the new host resumed from the committed offsets and read only what came after");
    }

    [Fact]
    public async Task Stop_WhileABatchCommitIsStuck_LeavesItAndEverythingReadAfterItToBeReadAgain()
    {
        // No grace on stop: the commit in flight is cancelled, as when the grace period runs out or the database fails.
        var triggers = TriggersRole();
        triggers["Kafka:ShutdownGrace"] = "00:00:00";
        // One record per batch and two commits in flight: the stuck event alone in the oldest batch, the next record
        // alone in the batch committing behind it, and the one after that read and waiting for a free slot.
        triggers["Kafka:BatchSize"] = "1";
        triggers["Kafka:CommitsInFlight"] = "2";
        await using var service = await ServiceUnderTest.StartAsync(triggers);
        using var consumed = new CounterTotal(TriggersMetrics.MeterName, "nps.events.consumed");

        // Another transaction holds the first event's inbox key, so the batch carrying it waits on the database…
        await using var blocker = await service.DataSource.OpenConnectionAsync();
        await using var held = await blocker.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            "insert into inbox (source, event_id, type, topic, partition, \"offset\", received_at) values ('/shop/orders', 'stuck-0', 'order.delivered', 'business-events', 0, 0, now())",
            blocker, held))
            await insert.ExecuteNonQueryAsync();
        static Message<byte[]?, byte[]?>[] OnePartition(Message<byte[]?, byte[]?>[] messages)
        {
            foreach (var message in messages)
                message.Key = "one-partition"u8.ToArray();
            return messages;
        }
        await service.PublishAsync(OnePartition([.. Events("stuck", 1), .. Events("behind", 50)]));
        await Eventually.Until(
            () => service.ScalarAsync<long>("select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"),
            n => n > 0, TimeSpan.FromSeconds(30), "the first batch waiting on the held key");
        // …while the next batch, later on the same partition, commits behind it (its effects in the database, its
        // offset not stored: it must not carry the partition past the stuck event), and a third waits for its turn.
        await service.WaitForCountAsync("select count(*) from inbox where event_id = 'behind-0'", 1);
        await Eventually.Until(() => Task.FromResult(consumed.Value), n => n == 3, TimeSpan.FromSeconds(30), "the batch behind read");

        await service.StopHostAsync();
        await held.RollbackAsync();
        // The stuck batch rolled back, so the group acknowledged nothing: not even the later batch that closing would
        // otherwise have flushed, whose offsets would have carried the partition past the stuck event.
        Uncommitted(service).ShouldBe(51);

        await service.StartHostAsync();
        await AssertEachEventOnceAsync(service, 51);
        (await service.ScalarAsync<long>("select count(*) from inbox where event_id = 'stuck-0'")).ShouldBe(1);
    }

    [Fact]
    public async Task Intake_WhileTheBrokerGoesDownAndComesBack_CreatesEachInvitationOnce()
    {
        await using var service = await ServiceUnderTest.StartAsync(TriggersRole());
        await service.PublishAsync(Events("before", 3000));
        await Eventually.Until(() => service.ScalarAsync<long>("select count(*) from inbox"), n => n >= 200, TimeSpan.FromSeconds(30), "intake under way");

        // Every broker refuses connections mid-intake: fetches, heartbeats and offset commits all fail for a while.
        service.Kafka.SetBrokerDown(-1);
        await Task.Delay(TimeSpan.FromSeconds(8)); // the outage's length, longer than the session timeout: the input of this test
        service.Kafka.SetBrokerUp(-1);
        await service.PublishAsync(Events("after", 500));

        await AssertEachEventOnceAsync(service, 3500);
        service.Host!.Services.GetRequiredService<KafkaIntakeService>().Running.ShouldBeTrue();
        // Offsets are committed again: a restart would not read it all again.
        await Eventually.Until(
            () => Task.Run(() => Uncommitted(service)),
            n => n == 0, TimeSpan.FromSeconds(30), "offsets committed up to the end of every partition");
    }
}
