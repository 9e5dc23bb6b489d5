using System.Text.Json;
using Npgsql;
using NpsTriggers.Ingest.Loop;

namespace NpsTriggers.Ingest.Replies;

/// <summary>What <c>POST /api/responses</c> found.</summary>
public enum ApiRecordOutcome { Recorded, Replayed, KeyReused, Unknown, Duplicate, Closed }

/// <summary>
/// Responses recorded by other channels through the API: insert-only (an answered invitation is a duplicate, not
/// a change), with Idempotency-Key support. The key row, the response and its outbox rows share one transaction.
/// </summary>
public sealed class ApiResponseStore(NpgsqlDataSource dataSource, ResponseOutbox outbox, ReplyWriter writer, TimeProvider time,
    ResponseMetrics metrics)
{
    /// <summary>A validated API answer.</summary>
    public sealed record ApiAnswer(Guid InvitationId, int Score, string? Comment, string Channel);

    /// <summary>
    /// Records an answer. Without an Idempotency-Key it is written in a batch with the replies that arrive alongside
    /// (<see cref="ReplyWriter"/>); with one, the key is claimed in the answer's own transaction.
    /// </summary>
    public Task<(ApiRecordOutcome Outcome, ResponseView? Response)> RecordAsync(
        ApiAnswer answer, string? idempotencyKey, string? requestHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        // The writer's task itself, not awaited here: this method's state machine, with the keyed path's locals, would be
        // allocated for every answer, keyed or not (issue 21).
        if (idempotencyKey is null)
            return writer.RecordAnswerAsync(answer, cancellationToken);
        ArgumentNullException.ThrowIfNull(requestHash);
        return RecordKeyedAsync(answer, idempotencyKey, requestHash, cancellationToken);
    }

    private async Task<(ApiRecordOutcome Outcome, ResponseView? Response)> RecordKeyedAsync(
        ApiAnswer answer, string idempotencyKey, string requestHash, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Claim the key first: a concurrent request with the same key waits here on the primary key until this
        // transaction ends, then sees the stored answer (never check-then-insert, which races).
        await using var claim = new NpgsqlCommand("""
            insert into idempotency_keys (key, request_hash, status, response, created_at)
            values (@key, @hash, 0, '{}', @now) on conflict (key) do nothing
            """, connection, transaction);
        claim.Parameters.Add(new NpgsqlParameter<string>("key", idempotencyKey));
        claim.Parameters.Add(new NpgsqlParameter<string>("hash", requestHash));
        claim.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        if (await claim.ExecuteNonQueryAsync(cancellationToken) == 0)
            return await StoredAsync(connection, transaction, idempotencyKey, requestHash, cancellationToken);

        ApiRecordOutcome outcome;
        ResponseView? view;
        await using (var insert = new NpgsqlBatch(connection, transaction) { BatchCommands = { ReplyStatements.InsertAnswersCommand([answer], now, outbox) } })
        {
            // Prepared (once per pooled connection; Npgsql keeps it), so PostgreSQL reuses its plan: unprepared, the
            // statement was parsed and planned for every keyed answer, which made an answer cost PostgreSQL about three
            // times the CPU of running the kept plan (ReplyStatements).
            await insert.PrepareAsync(cancellationToken);
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            (_, outcome, view) = (await ReplyStatements.ReadAnswerOutcomesAsync(reader, cancellationToken))[0];
        }
        // Not recorded: nothing is stored, the key included (the transaction rolls back), so a retry may succeed later.
        if (outcome != ApiRecordOutcome.Recorded || view is null)
            return (outcome, null);
        await using var store = new NpgsqlCommand("update idempotency_keys set status = 201, response = @response where key = @key",
            connection, transaction);
        store.Parameters.Add(new NpgsqlParameter<string>("key", idempotencyKey));
        store.Parameters.Add(new NpgsqlParameter("response", NpgsqlTypes.NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(view) });
        await store.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        // The one answer that does not pass the reply writer (which counts the others) is counted once committed.
        metrics.Recorded(answer.Score);
        return (ApiRecordOutcome.Recorded, view);
    }

    public async Task<ResponseView?> GetAsync(Guid invitationId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadAsync(connection, null, invitationId, cancellationToken);
    }

    private static async Task<(ApiRecordOutcome, ResponseView?)> StoredAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string key, string requestHash, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand("select request_hash, response::text from idempotency_keys where key = @key", connection, transaction);
        read.Parameters.Add(new NpgsqlParameter<string>("key", key));
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (reader.GetString(0) != requestHash)
            return (ApiRecordOutcome.KeyReused, null);
        return (ApiRecordOutcome.Replayed, JsonSerializer.Deserialize<ResponseView>(reader.GetString(1)));
    }

    private static async Task<ResponseView?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid invitationId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            select {ResponseQuery.Columns} from responses r where r.invitation_id = @id
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ResponseQuery.Read(reader) : null;
    }
}
