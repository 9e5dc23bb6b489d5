using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Sms;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Ingest.Replies.Sms;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Loop;

public sealed class OutboxPruneTests
{
    [Fact]
    public async Task PruneAsync_DeliveredPastRetention_DeletesOnlyThoseAndExpiredKeys()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.StartHostAsync(new Dictionary<string, string?> { ["Roles"] = "dispatch" }); // migrates; no outbox senders
        await using (var seed = service.DataSource.CreateCommand("""
            insert into outbox (event_id, destination, event_type, partition_key, payload, state, created_at, finished_at) values
                ('old:1', 'kafka', 't', 'k', '{}', 'delivered', now(), clock_timestamp() - interval '8 days'),
                ('new:1', 'kafka', 't', 'k', '{}', 'delivered', now(), clock_timestamp() - interval '6 days'),
                ('old:2', 'kafka', 't', 'k', '{}', 'pending', now() - interval '30 days', null),
                ('old:3', 'webhook:x', 't', 'k', '{}', 'superseded', now(), clock_timestamp() - interval '8 days');
            insert into idempotency_keys (key, request_hash, status, response, created_at) values
                ('c:old', 'h', 201, '{}', @now - interval '25 hours'), ('c:new', 'h', 201, '{}', @now - interval '23 hours');
            """))
        {
            seed.Parameters.AddWithValue("now", service.Clock.GetUtcNow());
            await seed.ExecuteNonQueryAsync();
        }

        var pruned = await new OutboxStore(service.DataSource).PruneAsync(TimeSpan.FromDays(7), TimeSpan.FromHours(24), service.Clock.GetUtcNow(), default);

        pruned.ShouldBe(3);
        (await service.ScalarAsync<string>("select string_agg(event_id, ',' order by event_id) from outbox")).ShouldBe("new:1,old:2");
        (await service.ScalarAsync<string>("select string_agg(key, ',') from idempotency_keys")).ShouldBe("c:new");
    }

    [Fact]
    public async Task PruneAsync_AmongAWeekOfRowsAndADayOfKeys_ReadsWhatExpired_NotTheWholeTables()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        // No host: nothing else reads these tables while the test counts what was read (the statistics are the
        // database's, and a dispatch host's gauges read the outbox every 30 s).
        await service.MigrateAsync();
        // One connection, so the statistics read back are the pruning session's own (flushed by pg_stat_force_next_flush).
        await using var oneConnection = NpgsqlDataSource.Create(service.ConnectionString + ";Maximum Pool Size=1");
        var store = new OutboxStore(oneConnection);
        var now = service.Clock.GetUtcNow();
        var (retention, keyRetention) = (TimeSpan.FromDays(7), TimeSpan.FromHours(24));

        // Statistics taken while the tables were nearly empty, as after a deployment; then a week of delivered rows and a
        // day of keys arrive, and a few of each expire.
        await SeedAsync(service, "young", 50, now, expired: false, seed: 0.21);
        await service.ExecuteAsync("analyze outbox; analyze idempotency_keys");
        await SeedAsync(service, "young-more", 20_000, now, expired: false, seed: 0.42);
        await SeedAsync(service, "old", 40, now, expired: true, seed: 0.63);
        var before = await RowsRead.CountAsync(oneConnection, "outbox", "idempotency_keys");
        (await store.PruneAsync(retention, keyRetention, now, default)).ShouldBe(80);
        var readStale = (await RowsRead.CountAsync(oneConnection, "outbox", "idempotency_keys")).Zip(before, (a, b) => a - b).ToArray();

        // And with statistics that know the tables.
        await service.ExecuteAsync("analyze outbox; analyze idempotency_keys");
        await SeedAsync(service, "older", 40, now, expired: true, seed: 0.84);
        before = await RowsRead.CountAsync(oneConnection, "outbox", "idempotency_keys");
        (await store.PruneAsync(retention, keyRetention, now, default)).ShouldBe(80);
        var readAnalyzed = (await RowsRead.CountAsync(oneConnection, "outbox", "idempotency_keys")).Zip(before, (a, b) => a - b).ToArray();

        (await service.ScalarAsync<long>("select count(*) from outbox where event_id like 'old%'")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from idempotency_keys where key like 'old%'")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from outbox")).ShouldBe(20_050);
        (await service.ScalarAsync<long>("select count(*) from idempotency_keys")).ShouldBe(20_050);
        // Each pass reads the expired entries of the age indexes (the second also the first pass's 40, dead until a
        // vacuum), and deletes those rows by address. The statement before read 40,182 outbox entries and rows and 20,132
        // keys in each pass: its outbox bound was clock_timestamp(), which no index can serve (it is volatile), so it
        // scanned the table for the expired rows, and it joined the expired rows and keys back to their tables by id
        // and key, which the planner did by hashing them against a second scan of the whole table.
        readStale.ShouldAllBe(read => read >= 40 && read <= 45, "outbox, keys");
        readAnalyzed.ShouldAllBe(read => read >= 40 && read <= 85, "outbox, keys");
    }

    [Fact]
    public async Task WebhookReceipts_PruneAsync_AmongAWeekOfReceipts_ReadsTheExpiredOnes_NotTheWholeTable()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.MigrateAsync(); // no host: nothing else reads the table while the test counts
        await using var oneConnection = NpgsqlDataSource.Create(service.ConnectionString + ";Maximum Pool Size=1");
        var receipts = new WebhookReceipts(oneConnection, Options.Create(new TwilioOptions()), service.Clock);
        var now = service.Clock.GetUtcNow();
        const string Seed = """
            select setseed(@seed);
            insert into webhook_receipts (key, received_at)
            select @prefix || ':' || n, @now - case when @expired then interval '8 days' + random() * interval '1 day' else random() * interval '6 days' end
            from generate_series(1, @count) as n
            """;
        await service.ExecuteAsync(Seed, ("seed", 0.1), ("prefix", "young"), ("count", 20_000), ("now", now), ("expired", false));
        await service.ExecuteAsync(Seed, ("seed", 0.2), ("prefix", "old"), ("count", 40), ("now", now), ("expired", true));
        await service.ExecuteAsync("analyze webhook_receipts");

        var before = (await RowsRead.CountAsync(oneConnection, "webhook_receipts"))[0];
        (await receipts.PruneAsync(TimeSpan.FromDays(7), default)).ShouldBe(40);
        var read = (await RowsRead.CountAsync(oneConnection, "webhook_receipts"))[0] - before;

        (await service.ScalarAsync<long>("select count(*) from webhook_receipts")).ShouldBe(20_000);
        // The 40 expired entries of the age index. The statement before joined the receipts back by key, which the
        // planner did with a scan of the whole table, with statistics that knew it: 20,083 read.
        read.ShouldBeInRange(40, 45);
    }

    // Delivered outbox rows "<prefix>:<n>" and keys "<prefix>:<n>" of random ages: inside their retention (finished up to
    // 6 days ago, created up to 23 hours ago) or past it (8 to 9 days, 25 to 48 hours).
    private static Task SeedAsync(ServiceUnderTest service, string prefix, int count, DateTimeOffset now, bool expired, double seed) =>
        service.ExecuteAsync("""
            select setseed(@seed);
            insert into outbox (event_id, destination, event_type, partition_key, payload, state, created_at, finished_at)
            select @prefix || ':' || n, 'webhook:ops', 'nps.response.recorded', gen_random_uuid()::text, jsonb_build_object('score', n % 11),
                   'delivered', @now, clock_timestamp() - case when @expired then interval '8 days' + random() * interval '1 day' else random() * interval '6 days' end
            from generate_series(1, @count) as n;
            insert into idempotency_keys (key, request_hash, status, response, created_at)
            select @prefix || ':' || n, md5(n::text), 201, jsonb_build_object('invitationId', gen_random_uuid(), 'score', n % 11),
                   @now - case when @expired then interval '25 hours' + random() * interval '23 hours' else random() * interval '23 hours' end
            from generate_series(1, @count) as n
            """, ("seed", seed), ("prefix", prefix), ("count", count), ("now", now), ("expired", expired));
}
