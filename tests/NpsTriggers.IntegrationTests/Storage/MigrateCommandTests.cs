using Npgsql;
using NpsTriggers.Host.Cli;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Storage;

/// <summary>The <c>migrate</c> verb the Helm chart's pre-upgrade Job runs.</summary>
public sealed class MigrateCommandTests
{
    [Fact]
    public async Task Migrate_EmptyDatabase_AppliesEveryMigrationOnce_AndAgainIsANoOp()
    {
        var connection = await PostgresServer.Shared.CreateDatabaseAsync();
        var output = new StringWriter();
        (await MigrateCommand.RunAsync([$"--Postgres:ConnectionString={connection}"], output, TextWriter.Null)).ShouldBe(0);
        (await MigrateCommand.RunAsync([$"--Postgres:ConnectionString={connection}"], output, TextWriter.Null)).ShouldBe(0);
        output.ToString().ShouldContain("the schema is up to date");
        await using var data = NpgsqlDataSource.Create(connection);
        var applied = (long)(await data.CreateCommand("select count(*) from schema_migrations").ExecuteScalarAsync())!;
        var shipped = typeof(NpsTriggers.Core.Storage.DatabaseMigrator).Assembly.GetManifestResourceNames().Count(n => n.EndsWith(".sql", StringComparison.Ordinal));
        applied.ShouldBe(shipped);
        ((long)(await data.CreateCommand("select count(*) from invitations").ExecuteScalarAsync())!).ShouldBe(0);
    }

    [Fact]
    public async Task Migrate_WithoutAConnectionString_SaysWhatIsMissing()
    {
        var error = new StringWriter();
        (await MigrateCommand.RunAsync(["--Postgres:ConnectionString="], TextWriter.Null, error)).ShouldBe(2);
        error.ToString().ShouldContain("Postgres:ConnectionString is required");
    }
}
