using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpsTriggers.Core.Storage;

namespace NpsTriggers.Host.Cli;

/// <summary>
/// <c>migrate</c>: applies pending migrations and exits (the Helm chart's pre-install/pre-upgrade Job), so the
/// roles can start with <c>Postgres:MigrateOnStart=false</c> and never race a schema change. Reads configuration
/// the way the service does (appsettings, environment <c>Postgres__ConnectionString</c>, <c>--Postgres:ConnectionString=…</c>).
/// </summary>
public static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
        var connectionString = configuration.GetSection("Postgres").Get<PostgresOptions>()?.ConnectionString;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await error.WriteLineAsync("migrate: Postgres:ConnectionString is required (environment Postgres__ConnectionString).");
            return 2;
        }
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var migrator = new DatabaseMigrator(dataSource, TimeProvider.System, NullLogger<DatabaseMigrator>.Instance);
        try
        {
            await migrator.MigrateAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            await error.WriteLineAsync($"migrate: {e.Message}");
            return 1;
        }
        await output.WriteLineAsync("migrate: the schema is up to date.");
        return 0;
    }
}
