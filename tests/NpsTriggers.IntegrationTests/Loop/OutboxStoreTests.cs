using NpsTriggers.Ingest.Loop;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Loop;

/// <summary>The outbox state machine's transitions on real PostgreSQL, as several replicas would run them.</summary>
public sealed class OutboxStoreTests
{
    private static async Task<ServiceUnderTest> StartWithRowsAsync(int rows)
    {
        var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.StartHostAsync(new Dictionary<string, string?> { ["Roles"] = "dispatch" }); // migrates; no outbox senders
        await using var seed = service.DataSource.CreateCommand("""
            insert into outbox (event_id, destination, event_type, partition_key, payload, created_at)
            select 'e:' || n, 'kafka', 'nps.response.recorded', 'k' || n, '{}', now() from generate_series(1, @rows) n
            """);
        seed.Parameters.AddWithValue("rows", rows);
        await seed.ExecuteNonQueryAsync();
        return service;
    }

    [Fact]
    public async Task ClaimAsync_ConcurrentClaimers_GetDisjointRowsInIdOrder()
    {
        await using var service = await StartWithRowsAsync(100);
        var store = new OutboxStore(service.DataSource);

        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => store.ClaimAsync("kafka", 30, TimeSpan.FromMinutes(1), default)));

        var ids = claims.SelectMany(c => c.Select(r => r.Id)).ToList();
        ids.Count.ShouldBe(ids.Distinct().Count());
        ids.Count.ShouldBe(100);
        foreach (var claim in claims)
            claim.Select(r => r.Id).ShouldBe(claim.Select(r => r.Id).Order());
        (await store.ClaimAsync("kafka", 30, TimeSpan.FromMinutes(1), default)).ShouldBeEmpty();
        (await store.ClaimAsync("webhook:%", 30, TimeSpan.FromMinutes(1), default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ClaimAsync_LeaseRunsOut_ClaimsAgainUntilDeliveredOrFailedWithBackoff()
    {
        await using var service = await StartWithRowsAsync(2);
        var store = new OutboxStore(service.DataSource);

        var first = await store.ClaimAsync("kafka", 10, TimeSpan.FromSeconds(1), default);
        first.Count.ShouldBe(2);
        (await store.ClaimAsync("kafka", 10, TimeSpan.FromMinutes(1), default)).ShouldBeEmpty();
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the 1 s lease runs out on PostgreSQL's clock: the input of this test

        // The first claimer "died": its rows come back, one attempt later.
        var again = await store.ClaimAsync("kafka", 10, TimeSpan.FromMinutes(1), default);
        again.Select(r => r.Attempts).ShouldBe([2, 2]);
        await store.MarkDeliveredAsync([again[0].Id], default);
        await store.MarkFailedAsync(again[1].Id, "broker down", TimeSpan.FromSeconds(1), default);
        // A late outcome from the first claimer changes nothing: the transition names its from-state.
        await store.MarkFailedAsync(again[0].Id, "stale", TimeSpan.Zero, default);
        (await service.ScalarAsync<string>("select state from outbox where id = @id", ("id", again[0].Id))).ShouldBe("delivered");

        (await store.ClaimAsync("kafka", 10, TimeSpan.FromMinutes(1), default)).ShouldBeEmpty(); // backing off
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the 1 s backoff runs out on PostgreSQL's clock
        var retried = (await store.ClaimAsync("kafka", 10, TimeSpan.FromMinutes(1), default)).ShouldHaveSingleItem();
        retried.Id.ShouldBe(again[1].Id);
        retried.Attempts.ShouldBe(3);
        (await service.ScalarAsync<string>("select last_error from outbox where id = @id", ("id", retried.Id))).ShouldBe("broker down");
    }

    [Fact]
    public async Task LockAsync_ConcurrentPublishers_GetDisjointRowsWithoutWriting_AndCompleteMarksThemInTheirTransaction()
    {
        await using var service = await StartWithRowsAsync(100);
        var store = new OutboxStore(service.DataSource);

        // Four publishers at once, each holding its transaction open as a publisher does while it awaits the broker.
        var locks = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => store.LockAsync("kafka", 30, TimeSpan.FromMinutes(1), default)));
        try
        {
            var ids = locks.SelectMany(l => l.Rows.Select(r => r.Id)).ToList();
            ids.Count.ShouldBe(100);
            ids.Distinct().Count().ShouldBe(100);
            foreach (var held in locks)
                held.Rows.Select(r => r.Id).ShouldBe(held.Rows.Select(r => r.Id).Order());
            // Nothing is written to take them: every row is still pending, and a fifth publisher finds none free.
            (await service.ScalarAsync<long>("select count(*) from outbox where state <> 'pending' or attempts <> 0")).ShouldBe(0);
            await using (var fifth = await store.LockAsync("kafka", 30, TimeSpan.FromMinutes(1), default))
                fifth.Rows.ShouldBeEmpty();

            // One publisher completes: its acknowledged rows delivered, one failed row back with its backoff and reason.
            var done = locks[0].Rows;
            await locks[0].CompleteAsync([.. done.Skip(1).Select(r => r.Id)], [(done[0].Id, "broker down", TimeSpan.FromMinutes(5))], default);
            (await service.ScalarAsync<long>("select count(*) from outbox where state = 'delivered' and attempts = 1 and finished_at is not null"))
                .ShouldBe(done.Count - 1);
            (await service.ScalarAsync<string>("select state || ' ' || attempts || ' ' || last_error from outbox where id = @id", ("id", done[0].Id)))
                .ShouldBe("pending 1 broker down");
            // Another stops without completing (it died before the marks): its rows are free again at once, unmarked.
            var abandoned = locks[1].Rows.Select(r => r.Id).ToList();
            await locks[1].DisposeAsync();
            await using var again = await store.LockAsync("kafka", 100, TimeSpan.FromMinutes(1), default);
            again.Rows.Select(r => r.Id).ShouldBe(abandoned);
            again.Rows.Select(r => r.Attempts).Distinct().ShouldBe([0]);
        }
        finally
        {
            foreach (var held in locks)
                await held.DisposeAsync();
        }
    }

    [Fact]
    public async Task LockAsync_PublisherIdlePastTheLease_LosesItsRowsToAnother_AndItsMarksFail()
    {
        await using var service = await StartWithRowsAsync(3);
        var store = new OutboxStore(service.DataSource);

        await using var hung = await store.LockAsync("kafka", 10, TimeSpan.FromSeconds(1), default);
        hung.Rows.Count.ShouldBe(3);
        // PostgreSQL ends the session that sat in its transaction past the lease, and the rows it held are free again.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        OutboxLock next;
        while (true)
        {
            next = await store.LockAsync("kafka", 10, TimeSpan.FromMinutes(1), default);
            if (next.Rows.Count == 3)
                break;
            next.Rows.ShouldBeEmpty(); // all or nothing: the hung publisher holds the three until its session ends
            await next.DisposeAsync();
            waited.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20), "the hung publisher's rows should be freed after its 1 s lease");
            await Task.Delay(100);
        }
        await using var _ = next;
        // The hung publisher's late marks do not commit: the rows stay the other publisher's to mark.
        (await Should.ThrowAsync<Exception>(() => hung.CompleteAsync([.. hung.Rows.Select(r => r.Id)], [], default)))
            .ShouldBeAssignableTo<Npgsql.NpgsqlException>();
        (await service.ScalarAsync<long>("select count(*) from outbox where state = 'pending'")).ShouldBe(3);
        await next.CompleteAsync([.. next.Rows.Select(r => r.Id)], [], default);
        (await service.ScalarAsync<long>("select count(*) from outbox where state = 'delivered'")).ShouldBe(3);
    }

    [Theory]
    [InlineData(false)] // statistics taken while every row was pending: the primary key in id order looks as good
    [InlineData(true)] // statistics taken after delivery: so few rows look open that a bitmap scan looks cheapest
    public async Task Claim_ReadsTheOpenRowsIndexInOrder_WhateverTheStatisticsSay(bool analyzedAfterDelivery)
    {
        await using var service = await StartWithRowsAsync(20_000);
        await using (var setUp = service.DataSource.CreateCommand("""
            insert into outbox (event_id, destination, event_type, partition_key, payload, created_at)
            select 'w:' || n, 'webhook:ops', 'nps.response.recorded', 'k' || n, '{}', now() from generate_series(1, 20) n;
            alter table outbox set (autovacuum_enabled = false);
            """))
            await setUp.ExecuteNonQueryAsync();
        if (!analyzedAfterDelivery)
            await AnalyzeAsync(service);
        await using (var deliver = service.DataSource.CreateCommand(
            "update outbox set state = 'delivered', finished_at = now() where destination = 'kafka' and id <= 19950"))
            (await deliver.ExecuteNonQueryAsync()).ShouldBe(19_950);
        if (analyzedAfterDelivery)
            await AnalyzeAsync(service);

        // A bitmap scan would visit the heap page of every delivered row's dead index entries, and the primary key every
        // delivered row, on every claim; only an ordered scan of the open rows' index stays as cheap as the rows it takes.
        var kafka = await ClaimPlanAsync(service, "kafka");
        kafka.ShouldContain("Index Scan using outbox_open on outbox", Case.Sensitive, kafka);
        kafka.ShouldNotContain("Bitmap", Case.Sensitive, kafka);
        kafka.ShouldNotContain("Sort", Case.Sensitive, kafka);
        // The publisher's lock takes the same rows the same way.
        var locking = await ClaimPlanAsync(service, "kafka", locking: true);
        locking.ShouldContain("Index Scan using outbox_open on outbox", Case.Sensitive, locking);
        locking.ShouldNotContain("Bitmap", Case.Sensitive, locking);
        locking.ShouldNotContain("Sort", Case.Sensitive, locking);
        var webhooks = await ClaimPlanAsync(service, "webhook:%");
        webhooks.ShouldContain("using outbox_open_webhooks on outbox", Case.Sensitive, webhooks);

        var store = new OutboxStore(service.DataSource);
        await using (var locked = await store.LockAsync("kafka", 100, TimeSpan.FromMinutes(1), default))
            locked.Rows.Select(r => r.Id).ShouldBe(Enumerable.Range(19_951, 50).Select(i => (long)i));
        var claimed = await store.ClaimAsync("kafka", 100, TimeSpan.FromMinutes(1), default);
        claimed.Select(r => r.Id).ShouldBe(Enumerable.Range(19_951, 50).Select(i => (long)i));
        (await store.ClaimAsync("webhook:%", 100, TimeSpan.FromMinutes(1), default)).Count.ShouldBe(20);
    }

    private static async Task AnalyzeAsync(ServiceUnderTest service)
    {
        await using var analyze = service.DataSource.CreateCommand("analyze outbox");
        await analyze.ExecuteNonQueryAsync();
    }

    private static async Task<string> ClaimPlanAsync(ServiceUnderTest service, string destination, bool locking = false)
    {
        await using var connection = await service.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var claim = locking
            ? await OutboxStore.LockCommandAsync(connection, transaction, destination, 200, default)
            : await OutboxStore.ClaimCommandAsync(connection, transaction, destination, 200, TimeSpan.FromMinutes(1), default);
        claim.CommandText = "explain " + claim.CommandText;
        var plan = new System.Text.StringBuilder();
        await using (var reader = await claim.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                plan.AppendLine(reader.GetString(0));
        await transaction.RollbackAsync();
        return plan.ToString();
    }
}
