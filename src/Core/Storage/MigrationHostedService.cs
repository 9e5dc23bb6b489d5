using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Core.Storage;

/// <summary>
/// Registered before every other hosted service, so the schema is current before the consumer,
/// the Hangfire server or the web endpoints touch it (hosted services start in registration order).
/// </summary>
internal sealed class MigrationHostedService(DatabaseMigrator migrator, IOptions<PostgresOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        options.Value.MigrateOnStart ? migrator.MigrateAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
