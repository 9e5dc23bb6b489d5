using Npgsql;

namespace NpsTriggers.Ingest.Replies;

/// <summary>The writing of one batch of <see cref="ReplyWriter"/>: its statements, one round trip, every request answered.</summary>
public sealed partial class ReplyWriter
{
    /// <summary>
    /// Writes a batch in one round trip: its statements go as one <see cref="NpgsqlBatch"/> outside any explicit
    /// transaction, which PostgreSQL runs as one implicit transaction (all or nothing), committed when the last one ends.
    /// With <paramref name="prepared"/> (a lane's, for its held connection) a batch of the same kind prepared before is
    /// given this batch's values and executed again; without, the batch is prepared for this call alone.
    /// </summary>
    private async Task WriteAsync(NpgsqlConnection connection, List<Pending> batch, NpgsqlBatch?[]? prepared = null)
    {
        var now = time.GetUtcNow();
        var results = new Written[batch.Count];
        var previous = new short[batch.Count];
        var positions = new Dictionary<Guid, int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
            positions[batch[i].InvitationId] = i;
        var scores = batch.Where(p => !p.Api).ToList();
        var answers = batch.Where(p => p.Api).Select(p => p.Answer!).ToList();
        Guid[] scoreIds = [.. scores.Select(p => p.InvitationId)];
        short[] scoreValues = [.. scores.Select(p => p.Score)];
        // The batch's own requests may be cancelled; the batch is not theirs alone, so it runs to the end.
        var cancellationToken = CancellationToken.None;
        var kind = Kind(scores.Count > 0, answers.Count > 0);
        var sql = prepared?[kind];
        if (sql is not null)
        {
            var next = 0;
            if (scores.Count > 0)
                ReplyStatements.BindScores(sql.BatchCommands[next++], scoreIds, scoreValues, now);
            if (answers.Count > 0)
                ReplyStatements.BindAnswers(sql.BatchCommands[next], answers, now);
        }
        else
        {
            sql = new NpgsqlBatch(connection);
            if (scores.Count > 0)
                sql.BatchCommands.Add(ReplyStatements.RecordScoresCommand(scoreIds, scoreValues, now, outbox));
            if (answers.Count > 0)
                sql.BatchCommands.Add(ReplyStatements.InsertAnswersCommand(answers, now, outbox));
            try
            {
                await sql.PrepareAsync(cancellationToken);
            }
            catch
            {
                await sql.DisposeAsync();
                throw;
            }
            if (prepared is not null)
                prepared[kind] = sql;
        }
        try
        {
            await ExecuteAsync(sql, scores.Count > 0, answers.Count > 0, positions, results, previous, cancellationToken);
        }
        finally
        {
            // A lane's batch stays prepared with its connection (disposed when the lane gives the connection back).
            if (prepared is null)
                await sql.DisposeAsync();
        }
        CountCommitted(batch, results, previous);
        for (var i = 0; i < batch.Count; i++)
            batch[i].Done.TrySetResult(results[i]);
    }

    /// <summary>The kind of a batch, by the statements it holds: scores only (0), API answers only (1), or both (2).</summary>
    private static int Kind(bool scores, bool answers) => scores && answers ? 2 : answers ? 1 : 0;

    /// <summary>Executes the batch and reads what each reply found into <paramref name="results"/> (and changed scores' <paramref name="previous"/> ones).</summary>
    private static async Task ExecuteAsync(NpgsqlBatch sql, bool hasScores, bool hasAnswers, Dictionary<Guid, int> positions,
        Written[] results, short[] previous, CancellationToken cancellationToken)
    {
        await using var reader = await sql.ExecuteReaderAsync(cancellationToken);
        if (hasScores)
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
        if (hasAnswers)
        {
            foreach (var (id, outcome, view) in await ReplyStatements.ReadAnswerOutcomesAsync(reader, cancellationToken))
                results[positions[id]] = new Written(default, outcome, view);
        }
        // Drains the rest: the implicit transaction commits when its last statement completes without error.
        while (await reader.NextResultAsync(cancellationToken))
        {
        }
    }
}
