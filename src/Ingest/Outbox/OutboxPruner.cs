using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace NpsTriggers.Ingest.Outbox;

/// <summary>
/// Once a minute (real clock: a chore, not business time), deletes delivered outbox rows past <c>Outbox:Retention</c>,
/// Idempotency-Keys past <c>Outbox:IdempotencyKeyRetention</c> and Twilio webhook receipts past
/// <c>Twilio:WebhookReceiptRetention</c>, a bounded batch at a time.
/// </summary>
public sealed partial class OutboxPruner(OutboxStore store, Twilio.WebhookReceipts receipts, IOptions<OutboxOptions> options,
    IOptions<Core.Sms.TwilioOptions> twilio, TimeProvider time, ILogger<OutboxPruner> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var pruned = await store.PruneAsync(options.Value.Retention, options.Value.IdempotencyKeyRetention, time.GetUtcNow(), stoppingToken)
                        + await receipts.PruneAsync(twilio.Value.WebhookReceiptRetention, stoppingToken);
                    if (pruned > 0)
                        LogPruned(pruned);
                }
                catch (NpgsqlException e) when (Core.Storage.DatabaseErrors.IsTransient(e))
                {
                    LogDatabaseUnavailable(e); // the next tick tries again
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox: pruned {Count} delivered rows, expired idempotency keys and webhook receipts")]
    private partial void LogPruned(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox pruning: PostgreSQL unavailable, trying again later")]
    private partial void LogDatabaseUnavailable(Exception exception);
}
