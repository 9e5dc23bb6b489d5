using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Dispatch.Invitations;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// The one recurring Hangfire job. Each tick it claims what fell due (and what a dead sender left claimed past
/// its lease) with <c>FOR UPDATE SKIP LOCKED</c>, and enqueues one send job per chunk of ids (<see cref="SendInvitationsJob"/>,
/// and <see cref="SendRemindersJob"/> for reminders). Pending
/// invitations cost an index entry each and nothing in Hangfire: the tick reads only the due head of a partial
/// index, so its cost does not grow with the number pending (docs/ARCHITECTURE.md).
/// </summary>
public sealed partial class DueInvitationsSweep(
    NpgsqlDataSource dataSource,
    IBackgroundJobClient jobs,
    IOptions<DispatchOptions> options,
    TimeProvider time,
    ILogger<DueInvitationsSweep> logger)
{
    public const string RecurringJobId = "dispatch-due-invitations";

    // A claim whose lease ran out belongs to a send run that stopped without recording a result (a crash, a kill, a
    // deploy): taking it back counts as an attempt, so an invitation that kills every run that sends it ends as failed
    // after MaxAttempts instead of being sent again every lease. One the provider is known to have accepted
    // (accepted_message_id) is always taken back: its next run records it without sending.
    private static readonly string Claim = $"""
        with due as (
            select id from invitations
            where state = '{InvitationState.Scheduled}' and due_at <= @now
            order by due_at
            limit @limit
            for update skip locked),
        abandoned as (
            select id, attempts + 1 >= @max_attempts and accepted_message_id is null as last
            from invitations
            where state = '{InvitationState.Sending}' and claimed_until < @now
            limit @limit
            for update skip locked),
        failed as (
            update invitations i
            set state = '{InvitationState.Failed}', failed_at = @now, claimed_until = null, contacted_at = null, attempts = i.attempts + 1,
                failure_reason = 'gave up after ' || (i.attempts + 1) || ' attempts: ' || {LeaseRanOut}
                                 || coalesce(' (before that: ' || i.failure_reason || ')', '')
            from abandoned a
            where i.id = a.id and a.last
            returning i.id, i.event_source, i.event_id, i.event_type, i.rule, i.customer_id, i.email, i.phone, i.channel, i.failure_reason),
        failed_decisions as (
            insert into decisions (event_source, event_id, event_type, rule, customer_id, email, phone, invitation_id, outcome, detail, at)
            select event_source, event_id, event_type, rule, customer_id, email, phone, id, '{DecisionTexts.Failed}',
                   channel || ' failed, ' || failure_reason, @now
            from failed),
        {InvitationStore.ReleaseHeldSql}
        update invitations i
        set state = '{InvitationState.Sending}', sending_at = coalesce(i.sending_at, @now), claimed_until = @until, claim_id = @claim,
            -- (the old row's state tells one taken back from a run that stopped from one that fell due)
            attempts = i.attempts + case when i.state = '{InvitationState.Sending}' then 1 else 0 end,
            failure_reason = case when i.state = '{InvitationState.Sending}' then {LeaseRanOut} else i.failure_reason end
        where i.id in (select id from due union all select id from abandoned where not last)
        returning i.id
        """;

    private const string LeaseRanOut = "'the send run holding it stopped before recording a result (its claim lease ran out)'";

    // Reminders are claimed by pushing remind_at forward by the lease; a reminder job that dies is retried after it.
    // An answer leaves its invitation sent (it writes answered_at alone, so it stays a HOT update, InvitationState): a
    // due one met here gets no reminder but completes its move to answered, which takes it out of invitations_remind
    // and invitations_open, so later sweeps do not read past it again. The row lock (for update) shows the latest
    // answered_at; an answer still in flight holds its row and is skipped, to be met by a later sweep.
    private const string ClaimReminders = $"""
        with due as (
            select id, answered_at is not null as answered from invitations
            where state = '{InvitationState.Sent}' and remind_at <= @now and reminders_left > 0
            order by remind_at
            limit @limit
            for update skip locked),
        answered as (
            update invitations i set state = '{InvitationState.Answered}'
            from due where i.id = due.id and due.answered)
        update invitations i set remind_at = @until, claim_id = @claim
        from due where i.id = due.id and not due.answered
        returning i.id
        """;

    // Cancels remembered past their rule's horizon are forgotten in the same pass. Each expiry is a decision (the
    // answer to "why did the reminder never come?"), written by the same statement. A sent invitation that was answered
    // (answered_at, InvitationState) is not expired: its links' end completes its move to answered, with no decision.
    // The state is chosen in the set list, which PostgreSQL evaluates again on the latest version of a row whose lock it
    // waited for: an answer that commits while this statement waits on its row makes it answered, not expired.
    private static readonly string Expire = $"""
        with forgotten as (delete from remembered_cancels where expires_at <= @now),
        closed as (
            update invitations
            set state = case when answered_at is null then '{InvitationState.Expired}' else '{InvitationState.Answered}' end,
                expired_at = case when answered_at is null then @now else expired_at end
            where state = '{InvitationState.Sent}' and expires_at <= @now
            returning id, state, event_source, event_id, event_type, rule, customer_id, email, phone, channel, expires_at, reminders_sent)
        insert into decisions (event_source, event_id, event_type, rule, customer_id, email, phone, invitation_id, outcome, detail, at)
        select event_source, event_id, event_type, rule, customer_id, email, phone, id, '{DecisionTexts.Expired}',
               'unanswered: the ' || channel || ' survey''s links expired at ' || {DecisionTexts.UtcSql("expires_at")}
               || ' after ' || reminders_sent || case when reminders_sent = 1 then ' reminder' else ' reminders' end, @now
        from closed where state = '{InvitationState.Expired}'
        """;

    [AutomaticRetry(Attempts = 0)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var claimed = 0;
        for (var round = 0; round < settings.MaxClaimsPerSweep; round++)
        {
            var (claim, ids) = await ClaimAsync(Claim, settings, cancellationToken);
            foreach (var chunk in ids.Chunk(settings.SendChunkSize))
                jobs.Enqueue<SendInvitationsJob>(job => job.RunAsync(claim, chunk, CancellationToken.None));
            claimed += ids.Count;
            if (ids.Count < settings.ClaimBatchSize)
                break;
        }
        var (reminderClaim, reminders) = await ClaimAsync(ClaimReminders, settings, cancellationToken);
        foreach (var chunk in reminders.Chunk(settings.SendChunkSize))
            jobs.Enqueue<SendRemindersJob>(job => job.RunAsync(reminderClaim, chunk, CancellationToken.None));
        var expired = await ExpireAsync(cancellationToken);
        if (claimed > 0 || reminders.Count > 0 || expired > 0)
            LogSwept(claimed, reminders.Count, expired);
        return claimed;
    }

    /// <summary>Claims under a fresh token; the send jobs carry it, and only the first run of each may use it.</summary>
    private async Task<(Guid Claim, List<Guid> Ids)> ClaimAsync(string sql, DispatchOptions settings, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var claim = Guid.NewGuid();
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid>("claim", claim));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("until", now + settings.ClaimLease));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", settings.ClaimBatchSize));
        command.Parameters.Add(new NpgsqlParameter<int>("max_attempts", settings.MaxAttempts));
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            ids.Add(reader.GetGuid(0));
        return (claim, ids);
    }

    private async Task<int> ExpireAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Expire);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Claimed {Claimed} due invitations and {Reminders} reminders, expired {Expired}")]
    private partial void LogSwept(int claimed, int reminders, int expired);
}
