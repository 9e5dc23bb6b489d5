using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpsTriggers.Core.Storage;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Storage;

public sealed class DatabaseMigratorTests
{
    [Fact]
    public async Task Migrate_ReplicasStartingTogether_ApplyEachMigrationOnce()
    {
        await using var data = NpgsqlDataSource.Create(await PostgresServer.Shared.CreateDatabaseAsync());
        var replicas = Enumerable.Range(0, 4)
            .Select(_ => new DatabaseMigrator(data, TimeProvider.System, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None));
        await Task.WhenAll(replicas);
        await new DatabaseMigrator(data, TimeProvider.System, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);

        await using var command = data.CreateCommand("select count(*), max(version) from schema_migrations");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        reader.GetInt64(0).ShouldBe(DatabaseMigrator.Embedded.Count);
        reader.GetInt32(1).ShouldBe(DatabaseMigrator.Embedded[^1].Version);
    }

    [Fact]
    public async Task Migrate_AppliedScriptChangedLater_StopsWithAClearError()
    {
        await using var data = NpgsqlDataSource.Create(await PostgresServer.Shared.CreateDatabaseAsync());
        var migrator = new DatabaseMigrator(data, TimeProvider.System, NullLogger<DatabaseMigrator>.Instance);
        await migrator.MigrateAsync(CancellationToken.None);
        await using (var tamper = data.CreateCommand("update schema_migrations set sha256 = 'edited' where version = 1"))
            await tamper.ExecuteNonQueryAsync();
        var error = await Should.ThrowAsync<InvalidOperationException>(() => migrator.MigrateAsync(CancellationToken.None));
        error.Message.ShouldContain("0001_initial was changed after it was applied");
    }

    [Fact]
    public async Task Schema_InvitationStates_AreConstrained()
    {
        await using var data = NpgsqlDataSource.Create(await PostgresServer.Shared.CreateDatabaseAsync());
        await new DatabaseMigrator(data, TimeProvider.System, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);
        await using var command = data.CreateCommand("""
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, state, created_at, due_at, valid_for)
            values (gen_random_uuid(), '/s', '1', 't', 'r', 's', 'email', 'lost', now(), now(), '1 day')
            """);
        (await Should.ThrowAsync<PostgresException>(() => command.ExecuteNonQueryAsync())).SqlState.ShouldBe(PostgresErrorCodes.CheckViolation);
    }
}
