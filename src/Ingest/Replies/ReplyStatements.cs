using Npgsql;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Ingest.Loop;

namespace NpsTriggers.Ingest.Replies;

/// <summary>
/// The statements <see cref="ReplyWriter"/> sends, and what reads their answers. Each is one set-based statement over
/// arrays (<c>unnest</c>), so a batch of replies costs one statement whatever its size, its outbox rows included; their
/// text never varies, so the prepared batch is reused.
/// <para>
/// Each array comes in as <c>(select @array)</c>, not bare: PostgreSQL then cannot see how long it is when it plans, and
/// plans every batch for the same number of rows. With the arrays bare, a plan made for a batch's own values
/// ("custom") counted its rows exactly, so for the small batches of an ordinary day it looked cheaper than the plan
/// kept for every batch ("generic", planned for 10 rows), and PostgreSQL planned the statement again on every execution:
/// 755 µs of its CPU for a lone API answer instead of 211 µs (docs/BENCHMARKS.md, "A foreign key that could not fail").
/// </para>
/// </summary>
internal static class ReplyStatements
{
    /// <summary>
    /// The score links' and SMS replies' record: the first answer, or a different score replacing it, with the event and
    /// outbox rows of each response it changed (<see cref="ResponseOutbox.AppendCtes"/>, fed by its own <c>returning</c>
    /// rows; one text with webhook CTEs and one without). The invitation's update writes <c>answered_at</c> alone, no indexed column, so it is
    /// heap-only (HOT); its state stays <c>sent</c> (or <c>answered</c>, once a sweep moved it) (<see cref="InvitationState"/>).
    /// </summary>
    private static readonly string[] RecordScores = ResponseOutbox.Texts(RecordScoresSql);

    private static string RecordScoresSql(bool webhooks) => $"""
        with input as (
            select * from unnest((select @ids), (select @scores)) as t (id, score)),
        invitation as (
            update invitations i
            set answered_at = coalesce(i.answered_at, @now)
            from input t
            where i.id = t.id and i.state in ('{InvitationState.Sent}', '{InvitationState.Answered}') and i.erased_at is null
            returning i.id, i.survey, i.channel, i.attributes, i.customer_id, i.rule, i.event_source, i.event_id, t.score),
        previous as (
            select r.invitation_id, r.score from responses r join input t on t.id = r.invitation_id),
        upserted as (
            insert into responses (invitation_id, survey, channel, score, attributes, answered_at, updated_at)
            select id, survey, channel, score, attributes, @now, @now from invitation
            on conflict (invitation_id) do update
                set score = excluded.score, updated_at = excluded.updated_at, version = responses.version + 1
                where responses.score <> excluded.score
            returning invitation_id, version, survey, channel, score, comment, attributes, answered_at, updated_at),
        {Changed("upserted")},
        {ResponseOutbox.AppendCtes(webhooks)}
        select t.id, exists (select 1 from invitation v where v.id = t.id), p.score,
               exists (select 1 from upserted u where u.invitation_id = t.id), i.state
        from input t
        left join previous p on p.invitation_id = t.id
        -- Whether an invitation the update did not take exists at all (unknown or closed); the others need no look-up
        -- ("offset 0" keeps the subquery a gate the planner cannot merge into a join, which would read every row).
        left join lateral (
            select x.state from invitations x where x.id = t.id and not exists (select 1 from invitation v where v.id = t.id)
            offset 0) i on true
        """;

    /// <summary>
    /// API answers: insert-only. Only a sent, unexpired, unanswered invitation (<c>answered_at is null</c>) can be
    /// answered; the update's row lock serialises two concurrent answers: the second waits, and PostgreSQL re-evaluates
    /// its <c>where</c> on the first's committed version, which has <c>answered_at</c>, so it changes nothing and inserts
    /// nothing, and reads that version to answer Duplicate (its snapshot still shows the invitation open). Like <see cref="RecordScores"/>, the update writes no indexed column (HOT). Each answer
    /// inserted gets its event and outbox rows in the same statement, as in <see cref="RecordScores"/>.
    /// Each answer's row carries the response as stored, from the insert's own <c>returning</c> row, so no statement
    /// reads it again (issue 21).
    /// The insert has no <c>on conflict</c>: an invitation gets its response only in the statement that sets its
    /// <c>answered_at</c> (this one or <see cref="RecordScores"/>), so one the update took has none yet. A response
    /// there anyway would be a bug, and fails the batch loudly on the primary key of <c>responses</c> (its answers are
    /// then written one by one, <see cref="ReplyWriter"/>) instead of being answered Closed with the invitation left
    /// answered; a speculative insertion would cost an index probe and a WAL record per answer (issue 21,
    /// docs/BENCHMARKS.md).
    /// </summary>
    private static readonly string[] InsertAnswers = ResponseOutbox.Texts(InsertAnswersSql);

    private static string InsertAnswersSql(bool webhooks) => $"""
        with input as (
            select * from unnest((select @ids), (select @scores), (select @comments), (select @channels)) as t (id, score, comment, channel)),
        invitation as (
            update invitations i
            set answered_at = @now
            from input t
            where i.id = t.id and i.state = '{InvitationState.Sent}' and i.answered_at is null and (i.expires_at is null or i.expires_at > @now)
              and i.erased_at is null
            returning i.id, i.survey, i.attributes, i.customer_id, i.rule, i.event_source, i.event_id, t.score, t.comment, t.channel),
        inserted as (
            insert into responses (invitation_id, survey, channel, score, comment, attributes, answered_at, updated_at)
            select id, survey, channel, score, comment, attributes, @now, @now from invitation
            returning invitation_id, version, survey, channel, score, comment, attributes, answered_at, updated_at),
        {Changed("inserted")},
        {ResponseOutbox.AppendCtes(webhooks)}
        select t.id, coalesce(w.state, {InvitationState.EffectiveSql("i")}), {ResponseQuery.Columns}
        from input t
        left join inserted r on r.invitation_id = t.id
        -- Why an answer was not recorded (see the next join); a recorded one needs no look-up ("offset 0" keeps the
        -- subquery a gate the planner cannot merge into a join, which would read every answered row again).
        left join lateral (
            select x.state, x.answered_at, x.expires_at, x.erased_at from invitations x where x.id = t.id and r.invitation_id is null
            offset 0) i on true
        -- An invitation the statement's snapshot shows open that the update did not answer was changed by a transaction
        -- that committed while the update waited for its row (another answer, mostly): its latest version, read under a
        -- share lock (which sees past the snapshot), tells a duplicate from a closed invitation. No other row is locked.
        left join lateral (
            select {InvitationState.EffectiveSql("x")} as state from invitations x
            where x.id = t.id and r.invitation_id is null and not exists (select 1 from invitation v where v.id = t.id)
              and i.state = '{InvitationState.Sent}' and i.answered_at is null and (i.expires_at is null or i.expires_at > @now)
              and i.erased_at is null
            for share) w on true
        """;

    // The CTE "changed" that ResponseOutbox.AppendCtes reads: the responses a CTE of the statement wrote (its returning
    // rows, the response as stored), with what the event tells of their invitations from the CTE "invitation".
    private static string Changed(string written) => $"""
        changed as (
            select w.invitation_id, w.version, w.survey, w.channel, w.score, w.comment, w.attributes, w.answered_at, w.updated_at,
                   v.customer_id, v.rule, v.event_source, v.event_id, nps_category(w.score) as category
            from {written} w join invitation v on v.id = w.invitation_id)
        """;

    /// <summary>The record of score replies (<see cref="RecordScores"/>) for invitations <paramref name="ids"/>.</summary>
    internal static NpgsqlBatchCommand RecordScoresCommand(Guid[] ids, short[] scores, DateTimeOffset now, ResponseOutbox outbox)
    {
        var command = new NpgsqlBatchCommand(outbox.Text(RecordScores));
        outbox.AddParameters(command.Parameters);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { ParameterName = "ids" });
        command.Parameters.Add(new NpgsqlParameter<short[]> { ParameterName = "scores" });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { ParameterName = "now" });
        BindScores(command, ids, scores, now);
        return command;
    }

    /// <summary>Gives a command of <see cref="RecordScoresCommand"/> another batch's replies, so that a prepared one is reused.</summary>
    internal static void BindScores(NpgsqlBatchCommand command, Guid[] ids, short[] scores, DateTimeOffset now)
    {
        Set(command, "ids", ids);
        Set(command, "scores", scores);
        Set(command, "now", now);
    }

    /// <summary>
    /// The insert of API answers as a batch command (also run alone, in the transaction that claims an Idempotency-Key,
    /// by <see cref="ApiResponseStore"/>); <see cref="ReadAnswerOutcomesAsync"/> reads what it found.
    /// </summary>
    internal static NpgsqlBatchCommand InsertAnswersCommand(IReadOnlyList<ApiResponseStore.ApiAnswer> answers, DateTimeOffset now,
        ResponseOutbox outbox)
    {
        var command = new NpgsqlBatchCommand(outbox.Text(InsertAnswers));
        outbox.AddParameters(command.Parameters);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { ParameterName = "ids" });
        command.Parameters.Add(new NpgsqlParameter<short[]> { ParameterName = "scores" });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { ParameterName = "comments" });
        command.Parameters.Add(new NpgsqlParameter<string[]> { ParameterName = "channels" });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { ParameterName = "now" });
        BindAnswers(command, answers, now);
        return command;
    }

    /// <summary>Gives a command of <see cref="InsertAnswersCommand"/> another batch's answers, so that a prepared one is reused.</summary>
    internal static void BindAnswers(NpgsqlBatchCommand command, IReadOnlyList<ApiResponseStore.ApiAnswer> answers, DateTimeOffset now)
    {
        Set<Guid[]>(command, "ids", [.. answers.Select(a => a.InvitationId)]);
        Set<short[]>(command, "scores", [.. answers.Select(a => (short)a.Score)]);
        Set<string?[]>(command, "comments", [.. answers.Select(a => a.Comment)]);
        Set<string[]>(command, "channels", [.. answers.Select(a => a.Channel)]);
        Set(command, "now", now);
    }

    private static void Set<T>(NpgsqlBatchCommand command, string name, T value) => ((NpgsqlParameter<T>)command.Parameters[name]).TypedValue = value;

    /// <summary>Recorded, with the response as stored, for each answer inserted; else why not (Unknown, Duplicate, Closed).</summary>
    internal static async Task<List<(Guid InvitationId, ApiRecordOutcome Outcome, ResponseView? Response)>> ReadAnswerOutcomesAsync(
        NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var outcomes = new List<(Guid, ApiRecordOutcome, ResponseView?)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!reader.IsDBNull(2))
            {
                outcomes.Add((reader.GetGuid(0), ApiRecordOutcome.Recorded, ResponseQuery.Read(reader, 2)));
                continue;
            }
            var state = reader.IsDBNull(1) ? null : reader.GetString(1);
            outcomes.Add((reader.GetGuid(0), state switch
            {
                null => ApiRecordOutcome.Unknown,
                InvitationState.Answered => ApiRecordOutcome.Duplicate,
                _ => ApiRecordOutcome.Closed,
            }, null));
        }
        return outcomes;
    }
}
