using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using NpsTriggers.Ingest.Loop;

namespace NpsTriggers.Ingest.Replies;

/// <summary>
/// Group commit for replies (score links, SMS scores and API answers without an Idempotency-Key). A reply joins the
/// queue of its invitation's lane (one of <see cref="Lanes"/>, by invitation id); each lane's one write loop takes
/// what has gathered (up to <see cref="MaxBatch"/>, one reply per invitation) and records it in one round trip, then
/// answers every waiting request. Since an invitation always goes to the same lane, two batches written at the same
/// time never touch the same rows, so they cannot deadlock each other. Nothing waits for a timer: a batch is whatever arrived while the previous one was being
/// written, so a lone reply is written at once and a burst shares transactions (docs/ARCHITECTURE.md, "Replies").
/// A request is answered only after its batch committed. When a batch fails, its replies are written again one by
/// one, so one reply that cannot be written fails alone.
/// </summary>
public sealed partial class ReplyWriter(NpgsqlDataSource dataSource, ResponseOutbox outbox, TimeProvider time, ILogger<ReplyWriter> logger)
{
    internal const int MaxBatch = 256;
    internal const int Lanes = 2;

    /// <summary>The score links' and SMS replies' record: the first answer, or a different score replacing it.</summary>
    private const string RecordScores = """
        with input as (
            select * from unnest(@ids, @scores) as t (id, score)),
        invitation as (
            update invitations i
            set state = 'answered', answered_at = coalesce(i.answered_at, @now)
            from input t
            where i.id = t.id and i.state in ('sent', 'answered') and i.erased_at is null
            returning i.id, i.survey, i.channel, i.attributes, t.score),
        previous as (
            select r.invitation_id, r.score from responses r join input t on t.id = r.invitation_id),
        upserted as (
            insert into responses (invitation_id, survey, channel, score, attributes, answered_at, updated_at)
            select id, survey, channel, score, attributes, @now, @now from invitation
            on conflict (invitation_id) do update
                set score = excluded.score, updated_at = excluded.updated_at, version = responses.version + 1
                where responses.score <> excluded.score
            returning invitation_id)
        select t.id, exists (select 1 from invitation v where v.id = t.id), p.score,
               exists (select 1 from upserted u where u.invitation_id = t.id), i.state
        from input t
        left join previous p on p.invitation_id = t.id
        left join invitations i on i.id = t.id
        """;

    /// <summary>
    /// API answers: insert-only. Only a sent, unexpired, unanswered invitation can be answered; the update's row lock
    /// serialises two concurrent answers, and the second finds the state already 'answered' (a duplicate).
    /// </summary>
    private const string InsertAnswers = """
        with input as (
            select * from unnest(@ids, @scores, @comments, @channels) as t (id, score, comment, channel)),
        invitation as (
            update invitations i
            set state = 'answered', answered_at = coalesce(i.answered_at, @now)
            from input t
            where i.id = t.id and i.state = 'sent' and (i.expires_at is null or i.expires_at > @now) and i.erased_at is null
            returning i.id, i.survey, i.attributes, t.score, t.comment, t.channel),
        inserted as (
            insert into responses (invitation_id, survey, channel, score, comment, attributes, answered_at, updated_at)
            select id, survey, channel, score, comment, attributes, @now, @now from invitation
            on conflict (invitation_id) do nothing
            returning invitation_id)
        select t.id, exists (select 1 from inserted n where n.invitation_id = t.id), i.state
        from input t
        left join invitations i on i.id = t.id
        """;

    private readonly Lane[] _lanes = [.. Enumerable.Range(0, Lanes).Select(_ => new Lane())];

    /// <summary>A queue of replies and whether its write loop runs.</summary>
    private sealed class Lane
    {
        public ConcurrentQueue<Pending> Queue { get; } = new();
        public int Writing;
    }

    /// <summary>The lane an invitation's replies are written by.</summary>
    public static int LaneOf(Guid invitationId) => (int)((uint)invitationId.GetHashCode() % Lanes);

    /// <summary>What a reply found: the score outcome (score replies), the API outcome and stored response (API answers).</summary>
    internal readonly record struct Written(RecordOutcome Score, ApiRecordOutcome ApiOutcome, ResponseView? View);

    private sealed class Pending(Guid invitationId, short score, ApiResponseStore.ApiAnswer? answer)
    {
        public Guid InvitationId { get; } = invitationId;
        public short Score { get; } = score;
        public ApiResponseStore.ApiAnswer? Answer { get; } = answer;
        public bool Api => Answer is not null;
        public TaskCompletionSource<Written> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Records a score (first answer or change); the same score again changes nothing.</summary>
    public async Task<RecordOutcome> RecordScoreAsync(Guid invitationId, int score, CancellationToken cancellationToken) =>
        (await SubmitAsync(new Pending(invitationId, (short)score, null), cancellationToken)).Score;

    /// <summary>Records an API answer (insert-only); returns the stored response when recorded.</summary>
    public async Task<(ApiRecordOutcome Outcome, ResponseView? Response)> RecordAnswerAsync(ApiResponseStore.ApiAnswer answer,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var written = await SubmitAsync(new Pending(answer.InvitationId, (short)answer.Score, answer), cancellationToken);
        return (written.ApiOutcome, written.View);
    }

    private Task<Written> SubmitAsync(Pending pending, CancellationToken cancellationToken)
    {
        var lane = _lanes[LaneOf(pending.InvitationId)];
        lane.Queue.Enqueue(pending);
        if (Interlocked.CompareExchange(ref lane.Writing, 1, 0) == 0)
            _ = Task.Run(() => WriteLoopAsync(lane), CancellationToken.None);
        // A request that goes away stops waiting; its reply is still written (it is in a batch already, or will be).
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteLoopAsync(Lane lane)
    {
        var batch = new List<Pending>(MaxBatch);
        var inBatch = new HashSet<Guid>();
        // A second reply to an invitation already in the batch waits for the next one: one statement cannot change a row twice.
        var deferred = new Queue<Pending>();
        while (true)
        {
            batch.Clear();
            inBatch.Clear();
            var carried = deferred.Count;
            for (var i = 0; i < carried && batch.Count < MaxBatch; i++)
            {
                var next = deferred.Dequeue();
                if (inBatch.Add(next.InvitationId))
                    batch.Add(next);
                else
                    deferred.Enqueue(next);
            }
            while (batch.Count < MaxBatch && lane.Queue.TryDequeue(out var next))
            {
                if (inBatch.Add(next.InvitationId))
                    batch.Add(next);
                else
                    deferred.Enqueue(next);
            }
            if (batch.Count == 0)
            {
                Volatile.Write(ref lane.Writing, 0);
                // A reply queued after the last look, while this loop still seemed to run, must not wait for the next arrival.
                if (lane.Queue.IsEmpty || Interlocked.CompareExchange(ref lane.Writing, 1, 0) != 0)
                    return;
                continue;
            }
            await WriteOrSplitAsync(batch);
        }
    }

    private async Task WriteOrSplitAsync(List<Pending> batch)
    {
        try
        {
            await WriteAsync(batch);
        }
        catch (Exception e) when (batch.Count > 1)
        {
            // Nothing of the batch committed; each reply is tried alone, so only one that cannot be written fails.
            LogBatchFailed(logger, e, batch.Count);
            foreach (var pending in batch)
            {
                try
                {
                    await WriteAsync([pending]);
                }
                catch (Exception alone)
                {
                    pending.Done.TrySetException(alone);
                }
            }
        }
        catch (Exception e)
        {
            batch[0].Done.TrySetException(e);
        }
    }

    /// <summary>
    /// Writes a batch in one round trip: its statements go as one <see cref="NpgsqlBatch"/> outside any explicit
    /// transaction, which PostgreSQL runs as one implicit transaction (all or nothing), committed when the last one ends.
    /// </summary>
    private async Task WriteAsync(List<Pending> batch)
    {
        var now = time.GetUtcNow();
        var results = new Written[batch.Count];
        var positions = new Dictionary<Guid, int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
            positions[batch[i].InvitationId] = i;
        var scores = batch.Where(p => !p.Api).ToList();
        var answers = batch.Where(p => p.Api).Select(p => p.Answer!).ToList();
        // The batch's own requests may be cancelled; the batch is not theirs alone, so it runs to the end.
        var cancellationToken = CancellationToken.None;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var sql = new NpgsqlBatch(connection);
        if (scores.Count > 0)
        {
            var record = new NpgsqlBatchCommand(RecordScores);
            record.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. scores.Select(p => p.InvitationId)]));
            record.Parameters.Add(new NpgsqlParameter<short[]>("scores", [.. scores.Select(p => p.Score)]));
            record.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
            sql.BatchCommands.Add(record);
        }
        if (answers.Count > 0)
            sql.BatchCommands.Add(InsertAnswersCommand(answers, now));
        // Outbox rows for whichever responses the statements above changed; then the answers' stored responses.
        sql.BatchCommands.Add(outbox.AppendCommand(positions.Keys));
        if (answers.Count > 0)
        {
            var read = new NpgsqlBatchCommand($"select {ResponseQuery.Columns} from responses r where r.invitation_id = any (@ids) and r.xmin = pg_current_xact_id()::xid");
            read.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. answers.Select(a => a.InvitationId)]));
            sql.BatchCommands.Add(read);
        }

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
                    outcome = reader.GetBoolean(3) ? RecordOutcome.Changed : RecordOutcome.Unchanged;
                results[positions[id]] = new Written(outcome, default, null);
            }
            await reader.NextResultAsync(cancellationToken);
        }
        if (answers.Count > 0)
        {
            foreach (var (id, outcome) in await ReadAnswerOutcomesAsync(reader, cancellationToken))
                results[positions[id]] = new Written(default, outcome, null);
            await reader.NextResultAsync(cancellationToken);
        }
        await reader.NextResultAsync(cancellationToken); // the outbox append's counts
        if (answers.Count > 0)
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var view = ResponseQuery.Read(reader);
                results[positions[view.InvitationId]] = new Written(default, ApiRecordOutcome.Recorded, view);
            }
        }
        // Drains the rest: the implicit transaction commits when its last statement completes without error.
        while (await reader.NextResultAsync(cancellationToken))
        {
        }
        await reader.DisposeAsync();
        for (var i = 0; i < batch.Count; i++)
            batch[i].Done.TrySetResult(results[i]);
    }

    /// <summary>
    /// The insert of API answers as a batch command (also run alone, in the transaction that claims an Idempotency-Key,
    /// by <see cref="ApiResponseStore"/>); <see cref="ReadAnswerOutcomesAsync"/> reads what it found.
    /// </summary>
    internal static NpgsqlBatchCommand InsertAnswersCommand(IReadOnlyList<ApiResponseStore.ApiAnswer> answers, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(InsertAnswers);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. answers.Select(a => a.InvitationId)]));
        command.Parameters.Add(new NpgsqlParameter<short[]>("scores", [.. answers.Select(a => (short)a.Score)]));
        command.Parameters.Add(new NpgsqlParameter("comments", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = answers.Select(a => a.Comment).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]>("channels", [.. answers.Select(a => a.Channel)]));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        return command;
    }

    /// <summary>Recorded for each answer inserted, else why not (Unknown, Duplicate, Closed).</summary>
    internal static async Task<List<(Guid InvitationId, ApiRecordOutcome Outcome)>> ReadAnswerOutcomesAsync(NpgsqlDataReader reader,
        CancellationToken cancellationToken)
    {
        var outcomes = new List<(Guid, ApiRecordOutcome)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var state = reader.IsDBNull(2) ? null : reader.GetString(2);
            outcomes.Add((reader.GetGuid(0), reader.GetBoolean(1) ? ApiRecordOutcome.Recorded
                : state switch { null => ApiRecordOutcome.Unknown, "answered" => ApiRecordOutcome.Duplicate, _ => ApiRecordOutcome.Closed }));
        }
        return outcomes;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} replies failed; writing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);
}
