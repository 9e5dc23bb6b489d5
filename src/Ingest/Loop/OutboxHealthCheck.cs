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

    // When the first event the stream has still to publish was written: the one it waits on. Taken from the xid index in
    // order after the cursor (given as values, so the scan is of the index's order and stops at the first), it reads one
    // transaction's events at most, however long the backlog. The oldest of all the waiting events (min over the view
    // response_events_waiting) read every one of them, on every readiness probe of every replica, so a long Kafka outage
    // made each probe slower until it missed its timeout and took the replica out of service, which is what Degraded is
    // there to avoid (docs/BENCHMARKS.md, "A publisher that read its whole backlog in every round").
    internal const string FirstWaitingSql = """
        select e.created_at from response_events e
        where e.xid >= (select xid from response_event_cursors where stream = 'kafka')
          and (e.xid, e.invitation_id, e.version) > (select xid, invitation_id, version from response_event_cursors where stream = 'kafka')
        order by e.xid
        limit 1
        """;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            select count(*), count(*) filter (where attempts >= @stuck and last_error is not null),
                   (array_agg(destination || ': ' || last_error order by id desc) filter (where attempts >= @stuck and last_error is not null))[1]
            from outbox where state in ('pending', 'sending');
            """ + FirstWaitingSql);
        command.Parameters.Add(new NpgsqlParameter<int>("stuck", StuckAfterAttempts));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (waiting, stuck) = (reader.GetInt64(0), reader.GetInt64(1));
        var latest = stuck == 0 ? null : reader.GetString(2);
        await reader.NextResultAsync(cancellationToken);
        // No row: nothing waits.
        DateTimeOffset? oldest = await reader.ReadAsync(cancellationToken) ? reader.GetFieldValue<DateTimeOffset>(0) : null;
        if (oldest is { } since && time.GetUtcNow() - since > StreamStalledAfter)
            return HealthCheckResult.Degraded(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"response events waiting for Kafka since {since:O}: Kafka is down, or a transaction open that long in the PostgreSQL cluster holds the stream back"));
        return stuck == 0
            ? HealthCheckResult.Healthy($"{waiting} outbox rows waiting")
            : HealthCheckResult.Degraded($"{stuck} of {waiting} outbox rows failed {StuckAfterAttempts}+ times; latest: {latest}");
    }
}
