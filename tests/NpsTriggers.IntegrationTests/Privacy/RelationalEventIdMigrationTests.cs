using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpsTriggers.Core.Storage;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Privacy;

/// <summary>Issue 18, item 5: migration 0015 rewrites the relational invitations written before it, which named their person.</summary>
public sealed class RelationalEventIdMigrationTests
{
    [Fact]
    public async Task Migrate_RelationalRowsWrittenBefore0015_KeepTheirShapeAndNameNobody()
    {
        await using var data = NpgsqlDataSource.Create(await PostgresServer.Shared.CreateDatabaseAsync());
        // The schema as it was before 0015, recorded as applied so that the migrator goes on from there.
        await using (var create = data.CreateCommand("create table schema_migrations (version int primary key, name text not null, sha256 text not null, applied_at timestamptz not null)"))
            await create.ExecuteNonQueryAsync();
        foreach (var migration in DatabaseMigrator.Embedded.Where(m => m.Version < 15))
        {
            await using var apply = data.CreateCommand(migration.Sql);
            await apply.ExecuteNonQueryAsync();
            await using var record = data.CreateCommand("insert into schema_migrations values (@v, @n, @s, now())");
            record.Parameters.AddWithValue("v", migration.Version);
            record.Parameters.AddWithValue("n", migration.Name);
            record.Parameters.AddWithValue("s", migration.Sha256);
            await record.ExecuteNonQueryAsync();
        }
        var byCustomer = Guid.NewGuid();
        var byEmail = Guid.NewGuid();
        await using (var legacy = data.CreateCommand("""
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, customer_id, email, state, created_at, due_at, valid_for)
            values (@a, 'relational', 'quarterly:c:C-Legacy-77:2990', 'relational', 'quarterly', 'relationship', 'email', 'C-Legacy-77', 'Old@Example.com', 'sent', now(), now(), '30 days'),
                   (@b, 'relational', 'quarterly:e:old@example.com:2990', 'relational', 'quarterly', 'relationship', 'email', null, 'Old@Example.com', 'sent', now(), now(), '30 days');
            insert into decisions (event_source, event_id, event_type, rule, invitation_id, outcome, detail, at)
            values ('relational', 'quarterly:c:C-Legacy-77:2990', 'relational', 'quarterly', @a, 'scheduled', 'relational programme every 90d', now()),
                   ('relational', 'quarterly:e:old@example.com:2990', 'relational', 'quarterly', @b, 'scheduled', 'relational programme every 90d', now());
            insert into outbox (event_id, destination, event_type, partition_key, payload, created_at)
            values (@a || ':1', 'kafka', 'nps.response.recorded', @a::text,
                    jsonb_build_object('invitationId', @a, 'event', jsonb_build_object('source', 'relational', 'id', 'quarterly:c:C-Legacy-77:2990')), now());
            """))
        {
            legacy.Parameters.AddWithValue("a", byCustomer);
            legacy.Parameters.AddWithValue("b", byEmail);
            await legacy.ExecuteNonQueryAsync();
        }

        await new DatabaseMigrator(data, TimeProvider.System, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);

        async Task<string> TextAsync(string sql, Guid id)
        {
            await using var command = data.CreateCommand(sql);
            command.Parameters.AddWithValue("id", id);
            return (string)(await command.ExecuteScalarAsync())!;
        }
        foreach (var id in new[] { byCustomer, byEmail })
        {
            var eventId = await TextAsync("select event_id from invitations where id = @id", id);
            eventId.ShouldMatch("^quarterly:x[0-9a-f]{32}:2990$");
            (await TextAsync("select event_id from decisions where invitation_id = @id", id)).ShouldBe(eventId);
        }
        (await TextAsync("select payload #>> '{event,id}' from outbox where partition_key = @id::text", byCustomer))
            .ShouldBe(await TextAsync("select event_id from invitations where id = @id", byCustomer));
        (await TextAsync("select event_id from invitations where id = @id", byCustomer))
            .ShouldNotBe(await TextAsync("select event_id from invitations where id = @id", byEmail));
        await using var traces = data.CreateCommand("""
            select (select count(*) from decisions d where lower(d::text) like '%legacy-77%' or lower(d::text) like '%old@example.com%')
                 + (select count(*) from outbox o where lower(o::text) like '%legacy-77%')
                 + (select count(*) from invitations i where lower(i.event_id) like '%legacy-77%' or lower(i.event_id) like '%old@example%')
            """);
        ((long)(await traces.ExecuteScalarAsync())!).ShouldBe(0);
    }
}
