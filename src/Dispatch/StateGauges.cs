using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Dispatch;

/// <summary>How often database-derived gauges are refreshed. Section <c>Metrics</c>.</summary>
public sealed class MetricsOptions
{
    /// <summary>Refresh interval of the gauges read from PostgreSQL (invitations by state, suppressions by reason, outbox backlog).</summary>
    /// <value>Defaults to 30 seconds; each refresh is one grouped count per table.</value>
    public TimeSpan DatabaseSampleInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Gauges that only the database knows, sampled in the background (never inside a scrape): invitations by state and
/// suppressions by reason, the outbox backlog. Every dispatch replica reports the same figures; aggregate them with max, not sum.
/// </summary>
public sealed partial class StateGauges : BackgroundService
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly IOptions<MetricsOptions> _options;
    private readonly ILogger<StateGauges> _logger;
    private readonly ConcurrentDictionary<string, long> _invitations = new();
    private readonly ConcurrentDictionary<string, long> _suppressions = new();
    private readonly ConcurrentDictionary<string, long> _outbox = new();

    public StateGauges(NpgsqlDataSource dataSource, IOptions<MetricsOptions> options, IMeterFactory meters, ILogger<StateGauges> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _dataSource = dataSource;
        _options = options;
        _logger = logger;
        var meter = meters.Create(DispatchMetrics.MeterName);
        meter.CreateObservableGauge("nps.invitations", () => _invitations.Select(s => new Measurement<long>(s.Value, new KeyValuePair<string, object?>("state", s.Key))),
            description: "Invitations by state");
        meter.CreateObservableGauge("nps.suppressions", () => _suppressions.Select(s => new Measurement<long>(s.Value, new KeyValuePair<string, object?>("reason", s.Key))),
            description: "Suppression list entries by reason");
        meter.CreateObservableGauge("nps.outbox.backlog", () => _outbox.Select(s => new Measurement<long>(s.Value, new KeyValuePair<string, object?>("destination", s.Key))),
            description: "Outbox rows and response events not yet delivered (Kafka, alert webhooks)");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The state as shown: an answered invitation is answered even while its column still says sent.
                await SampleAsync(_invitations, $"select {InvitationState.EffectiveSql()}, count(*) from invitations group by 1", stoppingToken);
                // Manual entries carry the operator's note after "manual: "; the reason class is what matters here.
                await SampleAsync(_suppressions, """
                    select case when reason like 'manual:%' then 'manual' when reason like 'Twilio 21610%' then 'twilio 21610' else reason end, count(*)
                    from suppressions group by 1
                    """, stoppingToken);
                // Kafka's backlog is its outbox rows (erasure announcements, parked events) and the response events the
                // stream has still to publish (0024_response_events.sql).
                await SampleAsync(_outbox, """
                    select destination, sum(waiting)::bigint from (
                        select destination, count(*) as waiting from outbox where state in ('pending', 'sending') group by destination
                        union all
                        select 'kafka', count(*) from response_events_waiting) t
                    group by destination
                    """, stoppingToken);
            }
            catch (NpgsqlException e)
            {
                LogSampleFailed(e);
            }
            await Task.Delay(_options.Value.DatabaseSampleInterval, stoppingToken);
        }
    }

    private async Task SampleAsync(ConcurrentDictionary<string, long> target, string sql, CancellationToken cancellationToken)
    {
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = _dataSource.CreateCommand(sql))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
                seen[reader.GetString(0)] = reader.GetInt64(1);
        foreach (var gone in target.Keys.Except(seen.Keys).ToList())
            target[gone] = 0;
        foreach (var (key, value) in seen)
            target[key] = value;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the database gauges; they keep their last values")]
    private partial void LogSampleFailed(Exception e);
}
