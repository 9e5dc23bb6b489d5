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
        var webhooks = await ClaimPlanAsync(service, "webhook:%");
        webhooks.ShouldContain("using outbox_open_webhooks on outbox", Case.Sensitive, webhooks);

        var store = new OutboxStore(service.DataSource);
        var claimed = await store.ClaimAsync("kafka", 100, TimeSpan.FromMinutes(1), default);
        claimed.Select(r => r.Id).ShouldBe(Enumerable.Range(19_951, 50).Select(i => (long)i));
        (await store.ClaimAsync("webhook:%", 100, TimeSpan.FromMinutes(1), default)).Count.ShouldBe(20);
    }

    private static async Task AnalyzeAsync(ServiceUnderTest service)
    {
        await using var analyze = service.DataSource.CreateCommand("analyze outbox");
        await analyze.ExecuteNonQueryAsync();
    }

    private static async Task<string> ClaimPlanAsync(ServiceUnderTest service, string destination)
    {
        await using var connection = await service.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var claim = await OutboxStore.ClaimCommandAsync(connection, transaction, destination, 200, TimeSpan.FromMinutes(1), default);
        claim.CommandText = "explain " + claim.CommandText;
        var plan = new System.Text.StringBuilder();
        await using (var reader = await claim.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                plan.AppendLine(reader.GetString(0));
        await transaction.RollbackAsync();
        return plan.ToString();
    }
}
