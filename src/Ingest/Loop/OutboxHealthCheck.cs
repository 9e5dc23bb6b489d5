using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// Readiness: Degraded while outbox rows keep failing (Kafka or a webhook down), or while the response event stream has
/// an event waiting for longer than <see cref="StreamStalledAfter"/> (Kafka down, or a writing transaction somewhere in
/// the PostgreSQL cluster that has been open that long and holds the stream back: docs/ARCHITECTURE.md, "Response
/// events"). Degraded, not Unhealthy: ingest still records replies and their events wait safely, so taking the pod out
/// of service would only lose replies.
/// </summary>
public sealed class OutboxHealthCheck(NpgsqlDataSource dataSource, TimeProvider time) : IHealthCheck
{
    /// <summary>Failed attempts after which a row counts as stuck rather than a blip.</summary>
    public const int StuckAfterAttempts = 3;

    /// <summary>How long the oldest response event may wait for Kafka before the stream counts as stalled.</summary>
    public static readonly TimeSpan StreamStalledAfter = TimeSpan.FromMinutes(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            select count(*), count(*) filter (where attempts >= @stuck and last_error is not null),
                   (array_agg(destination || ': ' || last_error order by id desc) filter (where attempts >= @stuck and last_error is not null))[1]
            from outbox where state in ('pending', 'sending');
            select min(created_at) from response_events_waiting
            """);
        command.Parameters.Add(new NpgsqlParameter<int>("stuck", StuckAfterAttempts));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (waiting, stuck) = (reader.GetInt64(0), reader.GetInt64(1));
        var latest = stuck == 0 ? null : reader.GetString(2);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        DateTimeOffset? oldest = reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0);
        if (oldest is { } since && time.GetUtcNow() - since > StreamStalledAfter)
            return HealthCheckResult.Degraded(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"response events waiting for Kafka since {since:O}: Kafka is down, or a transaction open that long in the PostgreSQL cluster holds the stream back"));
        return stuck == 0
            ? HealthCheckResult.Healthy($"{waiting} outbox rows waiting")
            : HealthCheckResult.Degraded($"{stuck} of {waiting} outbox rows failed {StuckAfterAttempts}+ times; latest: {latest}");
    }
}
