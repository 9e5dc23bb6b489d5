using Npgsql;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// One claimed outbox row, or one event of the response event stream (<see cref="Position"/> set, <see cref="Id"/> 0).
/// <see cref="Payload"/> is the event's JSON as UTF-8, the bytes PostgreSQL sent: it goes into the CloudEvent as it is,
/// with no decoding to a string and encoding back (issue 21).
/// </summary>
public sealed record OutboxRow(long Id, string EventId, string Destination, string EventType, string PartitionKey, byte[] Payload,
    DateTimeOffset CreatedAt, int Attempts)
{
    /// <summary>For an event of <see cref="ResponseEventStream"/>: where it sits in the stream; null for an outbox row.</summary>
    public StreamPosition? Position { get; init; }
}

/// <summary>
/// The outbox state machine's transitions (0006_outbox.sql): claim (pending or lease-expired sending → sending),
/// delivered (sending → delivered), failed (sending → pending, later); for Kafka, a lock in an open transaction instead of
/// the claim (<see cref="LockAsync"/>), completed in that transaction (<see cref="OutboxLock"/>). Each transition names its from-state, so
/// replaying one changes nothing. A sender that outlives its lease may deliver a row that another sender claimed
/// again: delivery is at-least-once, and the stable event id is what consumers dedupe on.
/// </summary>
public sealed class OutboxStore(NpgsqlDataSource dataSource)
{
    // The row of the claim's and the lock's select lists (id, event_id, destination, event_type, partition_key, payload
    // as text, created_at, attempts), its payload as the UTF-8 bytes PostgreSQL sent.
    private static OutboxRow ReadRow(NpgsqlDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
            reader.GetFieldValue<byte[]>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetInt32(7));

    private const string NoBitmapScans = "set local enable_bitmapscan = off";

    /// <summary>
    /// Claims up to <paramref name="limit"/> deliverable rows for <paramref name="destination"/>, oldest first;
    /// <see cref="ResponseOutbox.WebhookPrefix"/> followed by <c>%</c> claims for every webhook.
    /// </summary>
    public async Task<List<OutboxRow>> ClaimAsync(string destination, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = await ClaimCommandAsync(connection, transaction, destination, limit, lease, cancellationToken);
        var rows = new List<OutboxRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(ReadRow(reader));
        await reader.DisposeAsync();
        await transaction.CommitAsync(cancellationToken);
        // UPDATE … RETURNING has no order; publish in id order so one response's versions leave in sequence.
        rows.Sort((a, b) => a.Id.CompareTo(b.Id));
        return rows;
    }

    /// <summary>
    /// The claim as a command in <paramref name="transaction"/>, with the planner settings it needs already applied to
    /// the transaction (tests read its plan with EXPLAIN).
    /// </summary>
    internal static async Task<NpgsqlCommand> ClaimCommandAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string destination,
        int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        // The claim must read the head of an open-rows index with a plain index scan, whatever the table's statistics
        // say. Every delivered row leaves dead entries in outbox_open until a vacuum; a plain index scan marks them dead
        // as it passes and later claims skip them, but a bitmap scan (chosen when the statistics say few rows are open)
        // visits every dead row's heap page on every claim, and a walk of the primary key in id order (chosen when a
        // stale analyze saw a burst still pending) passes every delivered row kept for Outbox:Retention. Under a steady
        // stream of replies either plan let one claim take 100-300 ms (docs/BENCHMARKS.md, "Reply ingest"). So bitmap
        // scans are off for this transaction, and an exact destination is written as a range, not an equality, so that
        // ordering by (destination, id) is something only outbox_open provides. The webhooks' claim repeats the
        // predicate of their own partial index, outbox_open_webhooks (0013_outbox_webhook_index.sql), word for word.
        var webhooks = destination == ResponseOutbox.WebhookPrefix + "%";
        if (!webhooks && destination.Contains('%', StringComparison.Ordinal))
            throw new ArgumentException($"'{destination}' is neither a destination nor '{ResponseOutbox.WebhookPrefix}%'.", nameof(destination));
        var match = webhooks ? "destination like 'webhook:%'" : "destination >= @destination and destination <= @destination";
        if (!webhooks)
        {
            await using var settings = new NpgsqlCommand(NoBitmapScans, connection, transaction);
            await settings.ExecuteNonQueryAsync(cancellationToken);
        }
        // SKIP LOCKED lets several replicas claim disjoint rows without waiting on each other.
        var command = new NpgsqlCommand($"""
            update outbox o
            set state = 'sending', claimed_until = clock_timestamp() + @lease, attempts = o.attempts + 1
            where o.id in (
                select id from outbox
                where {match} and state in ('pending', 'sending')
                  and ((state = 'pending' and next_attempt_at <= clock_timestamp())
                       or (state = 'sending' and claimed_until < clock_timestamp()))
                order by {(webhooks ? "id" : "destination, id")}
                limit @limit
                for update skip locked)
            returning o.id, o.event_id, o.destination, o.event_type, o.partition_key, o.payload::text, o.created_at, o.attempts
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("destination", destination));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("lease", lease));
        return command;
    }

    /// <summary>
    /// Locks up to <paramref name="limit"/> deliverable rows of one <paramref name="destination"/> (not the webhooks),
    /// oldest first, in a transaction that stays open until the returned lock completes or is disposed. Unlike
    /// <see cref="ClaimAsync"/> it writes nothing to take them: the rows stay 'pending', held by <c>FOR UPDATE SKIP
    /// LOCKED</c>, so other replicas skip them, and the transaction that marks them is the one that locked them. A
    /// publisher that dies (process, connection or PostgreSQL) leaves its rows pending at once, with no lease to wait
    /// out; one that hangs loses them after <paramref name="lease"/> idle in the transaction (PostgreSQL ends the
    /// session). Either way they are published again: at-least-once, as with a claim. (Issue 21: the claim's update
    /// was one non-HOT update and its index entries per reply; docs/BENCHMARKS.md.)
    /// </summary>
    public async Task<OutboxLock> LockAsync(string destination, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var timeout = new NpgsqlCommand(HeldTransaction.IdleTimeoutSql(lease), connection, transaction))
                await timeout.ExecuteNonQueryAsync(cancellationToken);
            await using var command = await LockCommandAsync(connection, transaction, destination, limit, cancellationToken);
            var rows = new List<OutboxRow>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken))
                    rows.Add(ReadRow(reader));
            return new OutboxLock(connection, transaction, rows);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The lock's select in <paramref name="transaction"/>, with the planner settings of the claim applied (tests read its
    /// plan): the claim's row choice, read from outbox_open in order, without the update.
    /// </summary>
    internal static async Task<NpgsqlCommand> LockCommandAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string destination,
        int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Contains('%', StringComparison.Ordinal))
            throw new ArgumentException($"'{destination}' is not one destination.", nameof(destination));
        await using (var settings = new NpgsqlCommand(NoBitmapScans, connection, transaction))
            await settings.ExecuteNonQueryAsync(cancellationToken);
        // The same rows a claim would take (see ClaimCommandAsync for the range and the index): a row a claim of an
        // earlier version left 'sending' is taken once its lease ran out.
        var command = new NpgsqlCommand("""
            select id, event_id, destination, event_type, partition_key, payload::text, created_at, attempts
            from outbox
            where destination >= @destination and destination <= @destination and state in ('pending', 'sending')
              and ((state = 'pending' and next_attempt_at <= clock_timestamp())
                   or (state = 'sending' and claimed_until < clock_timestamp()))
            order by destination, id
            limit @limit
            for update skip locked
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("destination", destination));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        return command;
    }

    /// <summary>Marks claimed rows delivered.</summary>
    public async Task MarkDeliveredAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
            return;
        // A join with the ids makes each row a primary-key lookup. Written as "id = any (@ids) and state = 'sending'",
        // the planner (its statistics saying few rows are open) read outbox_open from its head instead, dead entries
        // and all, filtering by id: 20-60 ms for 200 rows under a steady stream of replies.
        await using var command = dataSource.CreateCommand("""
            update outbox o set state = 'delivered', finished_at = clock_timestamp(), claimed_until = null, last_error = null
            from unnest(@ids) as d (id)
            where o.id = d.id and o.state = 'sending'
            """);
        command.Parameters.Add(new NpgsqlParameter<long[]>("ids", [.. ids]));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Puts a row back to pending, due again after <paramref name="retryAfter"/>, with the reason for whoever looks.</summary>
    public async Task MarkFailedAsync(long id, string error, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            update outbox set state = 'pending', next_attempt_at = clock_timestamp() + @after, claimed_until = null, last_error = @error
            where id = @id and state = 'sending'
            """);
        command.Parameters.Add(new NpgsqlParameter<long>("id", id));
        command.Parameters.Add(new NpgsqlParameter<string>("error", HeldTransaction.ErrorText(error)));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("after", retryAfter));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes delivered and superseded rows past their retention and expired idempotency keys, a bounded batch at a time.</summary>
    public async Task<int> PruneAsync(TimeSpan retention, TimeSpan keyRetention, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Small batches keep each delete short, so it never holds up the claims running beside it.
        await using var command = dataSource.CreateCommand("""
            with rows as (
                -- now(), not clock_timestamp(): a volatile bound cannot be an index condition, and each pass read the whole
                -- table twice (the rows to delete, then every row again to join them back by id).
                delete from outbox where ctid = any (array(
                    select ctid from outbox where state in ('delivered', 'superseded') and finished_at < now() - @retention
                    order by finished_at limit 5000))
                returning 1),
            keys as (
                -- The expired keys from idempotency_keys_created (0030), deleted by their row addresses: joined back by
                -- key, the planner (expecting many) hashed them against a scan of the whole table.
                delete from idempotency_keys where ctid = any (array(
                    select ctid from idempotency_keys where created_at < @now - @key_retention order by created_at limit 5000))
                returning 1)
            select (select count(*) from rows) + (select count(*) from keys)
            """);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("retention", retention));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("key_retention", keyRetention));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Exponential backoff with jitter for a row's <paramref name="attempts"/>-th failure, capped at <paramref name="max"/>.</summary>
    public static TimeSpan Backoff(int attempts, TimeSpan max)
    {
        var seconds = Math.Min(max.TotalSeconds, 0.5 * Math.Pow(2, Math.Min(attempts, 20) - 1));
        // Jitter spreads the retries of many rows that failed together (a broker outage) over the interval.
        return TimeSpan.FromSeconds(seconds * (0.75 + (Random.Shared.NextDouble() * 0.25)));
    }
}
