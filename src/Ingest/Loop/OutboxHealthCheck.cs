using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// Readiness: Degraded while outbox rows keep failing (Kafka or a webhook down). Degraded, not Unhealthy: ingest still
/// records replies and their events wait safely in the outbox, so taking the pod out of service would only lose replies.
/// </summary>
public sealed class OutboxHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    /// <summary>Failed attempts after which a row counts as stuck rather than a blip.</summary>
    public const int StuckAfterAttempts = 3;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            select count(*), count(*) filter (where attempts >= @stuck and last_error is not null),
                   (array_agg(destination || ': ' || last_error order by id desc) filter (where attempts >= @stuck and last_error is not null))[1]
            from outbox where state in ('pending', 'sending')
            """);
        command.Parameters.Add(new NpgsqlParameter<int>("stuck", StuckAfterAttempts));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (waiting, stuck) = (reader.GetInt64(0), reader.GetInt64(1));
        return stuck == 0
            ? HealthCheckResult.Healthy($"{waiting} outbox rows waiting")
            : HealthCheckResult.Degraded($"{stuck} of {waiting} outbox rows failed {StuckAfterAttempts}+ times; latest: {reader.GetString(2)}");
    }
}
