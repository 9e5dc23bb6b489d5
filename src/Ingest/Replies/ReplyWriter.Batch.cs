using Npgsql;

namespace NpsTriggers.Ingest.Replies;

/// <summary>The writing of one batch of <see cref="ReplyWriter"/>: its statements, one round trip, every request answered.</summary>
public sealed partial class ReplyWriter
{
    /// <summary>
    /// Writes a batch in one round trip: its statements go as one <see cref="NpgsqlBatch"/> outside any explicit
    /// transaction, which PostgreSQL runs as one implicit transaction (all or nothing), committed when the last one ends.
    /// </summary>
    private async Task WriteAsync(NpgsqlConnection connection, List<Pending> batch)
    {
        var now = time.GetUtcNow();
        var results = new Written[batch.Count];
        var previous = new short[batch.Count];
        var positions = new Dictionary<Guid, int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
            positions[batch[i].InvitationId] = i;
        var scores = batch.Where(p => !p.Api).ToList();
        var answers = batch.Where(p => p.Api).Select(p => p.Answer!).ToList();
        // The batch's own requests may be cancelled; the batch is not theirs alone, so it runs to the end.
        var cancellationToken = CancellationToken.None;
        await using var sql = new NpgsqlBatch(connection);
        if (scores.Count > 0)
        {
            sql.BatchCommands.Add(ReplyStatements.RecordScoresCommand([.. scores.Select(p => p.InvitationId)], [.. scores.Select(p => p.Score)], now, outbox));
        }
        if (answers.Count > 0)
            sql.BatchCommands.Add(ReplyStatements.InsertAnswersCommand(answers, now, outbox));

        await sql.PrepareAsync(cancellationToken);
        await using var reader = await sql.ExecuteReaderAsync(cancellationToken);
        if (scores.Count > 0)
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetGuid(0);
                RecordOutcome outcome;
                if (!reader.GetBoolean(1))
                    outcome = reader.IsDBNull(4) ? RecordOutcome.Unknown : RecordOutcome.Closed;
                else if (reader.IsDBNull(2))
                    outcome = RecordOutcome.Recorded;
                else
                {
                    outcome = reader.GetBoolean(3) ? RecordOutcome.Changed : RecordOutcome.Unchanged;
                    previous[positions[id]] = reader.GetInt16(2);
                }
                results[positions[id]] = new Written(outcome, default, null);
            }
            await reader.NextResultAsync(cancellationToken);
        }
        if (answers.Count > 0)
        {
            foreach (var (id, outcome, view) in await ReplyStatements.ReadAnswerOutcomesAsync(reader, cancellationToken))
                results[positions[id]] = new Written(default, outcome, view);
        }
        // Drains the rest: the implicit transaction commits when its last statement completes without error.
        while (await reader.NextResultAsync(cancellationToken))
        {
        }
        await reader.DisposeAsync();
        CountCommitted(batch, results, previous);
        for (var i = 0; i < batch.Count; i++)
            batch[i].Done.TrySetResult(results[i]);
    }
}
