using Npgsql;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// Outbox rows locked for publishing by <see cref="OutboxStore.LockAsync"/>, in the transaction that locked them: publish
/// them, then <see cref="CompleteAsync"/> marks what was acknowledged delivered and puts the rest back with backoff, and
/// commits. Disposed without completing, the transaction rolls back and the rows are as they were (still pending).
/// </summary>
public sealed class OutboxLock(NpgsqlConnection connection, NpgsqlTransaction transaction, List<OutboxRow> rows)
    : HeldTransaction(connection, transaction)
{
    /// <summary>The locked rows, in id order, so one response's versions leave in sequence.</summary>
    public IReadOnlyList<OutboxRow> Rows { get; } = rows;

    /// <summary>
    /// Marks <paramref name="delivered"/> delivered and <paramref name="failed"/> pending again after their backoff, counting the
    /// attempt on each (as a claim did), and commits. One round trip.
    /// </summary>
    public async Task CompleteAsync(IReadOnlyCollection<long> delivered, IReadOnlyList<(long Id, string Error, TimeSpan RetryAfter)> failed,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivered);
        ArgumentNullException.ThrowIfNull(failed);
        var commands = new List<NpgsqlBatchCommand>(2);
        if (delivered.Count > 0)
        {
            // A join with the ids: a primary-key lookup per row (see OutboxStore.MarkDeliveredAsync).
            var done = new NpgsqlBatchCommand("""
                update outbox o set state = 'delivered', finished_at = clock_timestamp(), claimed_until = null, last_error = null,
                                    attempts = o.attempts + 1
                from unnest(@ids) as d (id)
                where o.id = d.id
                """);
            done.Parameters.Add(new NpgsqlParameter<long[]>("ids", [.. delivered]));
            commands.Add(done);
        }
        if (failed.Count > 0)
        {
            var again = new NpgsqlBatchCommand("""
                update outbox o set state = 'pending', next_attempt_at = clock_timestamp() + f.after, claimed_until = null,
                                    last_error = f.error, attempts = o.attempts + 1
                from unnest(@ids, @errors, @afters) as f (id, error, after)
                where o.id = f.id
                """);
            again.Parameters.Add(new NpgsqlParameter<long[]>("ids", [.. failed.Select(f => f.Id)]));
            again.Parameters.Add(new NpgsqlParameter<string[]>("errors", [.. failed.Select(f => ErrorText(f.Error))]));
            again.Parameters.Add(new NpgsqlParameter<TimeSpan[]>("afters", [.. failed.Select(f => f.RetryAfter)]));
            commands.Add(again);
        }
        await CommitAsync(commands, cancellationToken);
    }
}
