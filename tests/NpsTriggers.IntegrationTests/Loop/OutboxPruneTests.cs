using NpsTriggers.Ingest.Loop;
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
}
