using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Sms;
using NpsTriggers.Ingest.Loop;

namespace NpsTriggers.Ingest.Replies.Sms;

/// <summary>
/// Deduplicates Twilio's webhooks on the keys that name them (migration 0016): a request claims all its keys in a
/// transaction that stays open while it is handled and commits only when the handling succeeded. A key seen before
/// makes the request a replay, answered without effect. Receipts are kept for <c>Twilio:WebhookReceiptRetention</c>.
/// </summary>
public sealed class WebhookReceipts(NpgsqlDataSource dataSource, IOptions<TwilioOptions> twilio, TimeProvider time) : IPrunedWithOutbox
{
    /// <summary>The claim on a webhook's keys; disposing it without <see cref="CompleteAsync"/> releases them for a retry.</summary>
    public sealed class Claim(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public Task CompleteAsync(CancellationToken cancellationToken) => transaction.CommitAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>Claims <paramref name="keys"/>; null when any of them was handled before (or is being handled and then succeeds).</summary>
    public async Task<Claim?> ClaimAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // A copy in flight holds the key's index entry: this insert waits for it, then finds the key or takes it.
            await using var insert = new NpgsqlCommand("""
                insert into webhook_receipts (key, received_at) select k, @now from unnest(@keys) k
                on conflict (key) do nothing
                """, connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<string[]>("keys", [.. keys.Distinct(StringComparer.Ordinal)]));
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == keys.Distinct(StringComparer.Ordinal).Count())
                return new Claim(connection, transaction);
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
            return null;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Deletes receipts past <c>Twilio:WebhookReceiptRetention</c> (with the outbox's pruning).</summary>
    public Task<int> PruneAsync(CancellationToken cancellationToken) => PruneAsync(twilio.Value.WebhookReceiptRetention, cancellationToken);

    /// <summary>Deletes receipts older than <paramref name="retention"/>, a bounded batch at a time; the count deleted.</summary>
    public async Task<int> PruneAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        // The expired receipts from webhook_receipts_received, deleted by their row addresses: joined back by key, the
        // planner hashed them against a scan of the whole table, on every pass (OutboxStore.PruneAsync).
        await using var command = dataSource.CreateCommand("""
            delete from webhook_receipts where ctid = any (array(
                select ctid from webhook_receipts where received_at < @before order by received_at limit 10000))
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("before", time.GetUtcNow() - retention));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
