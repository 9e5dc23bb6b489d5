using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Storage;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// Once a minute (real clock: a chore, not business time), deletes delivered outbox rows and published response events
/// past <c>Outbox:Retention</c>,
/// Idempotency-Keys past <c>Outbox:IdempotencyKeyRetention</c> and whatever else is pruned with the outbox
/// (<see cref="IPrunedWithOutbox"/>: Twilio webhook receipts past <c>Twilio:WebhookReceiptRetention</c>), a bounded
/// batch at a time.
/// </summary>
public sealed partial class OutboxPruner(OutboxStore store, ResponseEventStream stream, IEnumerable<IPrunedWithOutbox> others, IOptions<OutboxOptions> options,
    TimeProvider time, ILogger<OutboxPruner> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // While PostgreSQL is away, the next try comes about a tick later: pruning can always wait.
        var retry = DatabaseRetry.Create(Every, Every, onRetry: (e, _, _) => LogDatabaseUnavailable(e));
        using var timer = new PeriodicTimer(Every);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var pruned = await retry.ExecuteAsync(PruneAsync, stoppingToken);
                if (pruned > 0)
                    LogPruned(pruned);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async ValueTask<int> PruneAsync(CancellationToken cancellationToken)
    {
        var pruned = await store.PruneAsync(options.Value.Retention, options.Value.IdempotencyKeyRetention, time.GetUtcNow(), cancellationToken);
        pruned += await stream.PruneAsync(options.Value.Retention, cancellationToken);
        foreach (var other in others)
            pruned += await other.PruneAsync(cancellationToken);
        return pruned;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox: pruned {Count} delivered rows, expired idempotency keys and webhook receipts")]
    private partial void LogPruned(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox pruning: PostgreSQL unavailable, trying again later")]
    private partial void LogDatabaseUnavailable(Exception exception);
}
