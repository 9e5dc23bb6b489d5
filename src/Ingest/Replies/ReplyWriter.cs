using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
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
public sealed partial class ReplyWriter(NpgsqlDataSource dataSource, ResponseOutbox outbox, TimeProvider time, ResponseMetrics metrics,
    ILogger<ReplyWriter> logger)
{
    internal const int MaxBatch = 256;
    internal const int Lanes = 2;

    private readonly Lane[] _lanes = [.. Enumerable.Range(0, Lanes).Select(_ => new Lane())];

    /// <summary>A queue of replies, whether its write loop runs, and the connection that loop holds while it has work.</summary>
    private sealed class Lane
    {
        public ConcurrentQueue<Pending> Queue { get; } = new();
        public int Writing;

        /// <summary>
        /// Held from batch to batch while replies keep coming, and given back when the queue runs dry: a pooled connection
        /// given back is reset when next opened (Npgsql prepends seven reset statements to its next query), which under
        /// load was one reset per batch (issue 21, docs/BENCHMARKS.md). Only the lane's one write loop touches it.
        /// </summary>
        public NpgsqlConnection? Connection;

        /// <summary>
        /// The batches prepared on <see cref="Connection"/>, one per kind of batch (<see cref="Kind"/>), kept with it: a
        /// prepared batch executed again skips Npgsql's rewriting of its SQL text, which a new one pays on every batch
        /// (issue 21, docs/BENCHMARKS.md). Disposed when the connection is given back.
        /// </summary>
        public readonly NpgsqlBatch?[] Prepared = new NpgsqlBatch?[3];
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
        // Completed on the lane's loop, so the waiting request's continuation (its whole response) must not run there:
        // it goes to the pool, and the loop goes on with the next batch whatever a caller does when answered.
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
                await ReleaseConnectionAsync(lane);
                Volatile.Write(ref lane.Writing, 0);
                // A reply queued after the last look, while this loop still seemed to run, must not wait for the next arrival.
                if (lane.Queue.IsEmpty || Interlocked.CompareExchange(ref lane.Writing, 1, 0) != 0)
                    return;
                continue;
            }
            await WriteOrSplitAsync(lane, batch);
        }
    }

    private async Task ReleaseConnectionAsync(Lane lane)
    {
        if (lane.Connection is not { } connection)
            return;
        lane.Connection = null;
        try
        {
            for (var i = 0; i < lane.Prepared.Length; i++)
            {
                if (lane.Prepared[i] is { } prepared)
                    await prepared.DisposeAsync();
                lane.Prepared[i] = null;
            }
            await connection.DisposeAsync();
        }
        catch (Exception e)
        {
            // The lane's loop must go on (or end cleanly) whatever closing a connection does: a loop that died here
            // would leave its lane marked as writing, and every later reply of the lane would wait forever.
            LogReleaseFailed(logger, e);
        }
    }

    private async Task WriteOrSplitAsync(Lane lane, List<Pending> batch)
    {
        try
        {
            lane.Connection ??= await dataSource.OpenConnectionAsync(CancellationToken.None);
            await WriteAsync(lane.Connection, batch, lane.Prepared);
        }
        catch (Exception e) when (batch.Count > 1)
        {
            // Nothing of the batch committed; each reply is tried alone, so only one that cannot be written fails. The
            // held connection may be what failed (the server restarted): the retries take fresh ones.
            await ReleaseConnectionAsync(lane);
            LogBatchFailed(logger, e, batch.Count);
            foreach (var pending in batch)
            {
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
                    await WriteAsync(connection, [pending]);
                }
                catch (Exception alone)
                {
                    pending.Done.TrySetException(alone);
                }
            }
        }
        catch (Exception e)
        {
            await ReleaseConnectionAsync(lane);
            batch[0].Done.TrySetException(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing a reply lane's connection failed")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} replies failed; writing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);
}
