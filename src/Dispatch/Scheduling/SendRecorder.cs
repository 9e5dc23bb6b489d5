using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Storage;
using NpsTriggers.Dispatch.Channels;
using NpsTriggers.Dispatch.Invitations;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// Records what a provider accepted: the invitation <c>sent</c> (its links valid for <c>ValidFor</c> from the send, its
/// first reminder at the send window's next opening after <c>ReminderAfter</c>, unless that falls after the links
/// expire), or one reminder fewer left.
/// </summary>
public sealed partial class SendRecorder(InvitationStore store, SentCommits commits, IOptions<DispatchOptions> options, DispatchMetrics metrics,
    ILogger<SendRecorder> logger)
{
    /// <summary>A first send accepted at <paramref name="now"/>; its links were made valid until <c>now + ValidFor</c>.</summary>
    public async Task RecordSentAsync(Invitation invitation, SendRule? rule, DateTimeOffset now, SendResult sent, CancellationToken shutdown)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        // Group-committed with the other calls answered meanwhile (SentCommits).
        var mark = SentMark(invitation, rule, now, sent.MessageId!, DecisionTexts.SentDetail(invitation.Channel, sent.MessageId!));
        await RecordAcceptedAsync(invitation, recording => commits.MarkSentAsync(mark, recording), shutdown);
        metrics.Confirmed(System.Diagnostics.Stopwatch.GetElapsedTime(sent.CallStarted), invitation.Channel);
        metrics.Sent("sent", invitation.Channel);
    }

    /// <summary>
    /// An earlier run's send reached the provider and that run died before recording it (the provider's status callback
    /// told us, <see cref="Invitation.AcceptedMessageId"/>): recorded now, never sent twice.
    /// </summary>
    public async Task RecordReconciledAsync(Invitation invitation, SendRule? rule, DateTimeOffset now, string messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        var mark = SentMark(invitation, rule, now, messageId, DecisionTexts.ReconciledDetail(invitation.Channel, messageId));
        if ((await store.MarkSentAsync([mark], cancellationToken)).Count == 1)
        {
            metrics.Sent("reconciled", invitation.Channel);
            LogReconciled(invitation.Id);
        }
    }

    /// <summary>The reminder accepted at <paramref name="now"/>; the next one (if any is left) at the window's next opening after <c>ReminderAfter</c>.</summary>
    public async Task RecordRemindedAsync(Invitation invitation, SendRule? rule, DateTimeOffset now, DateTimeOffset expiresAt, SendResult sent, CancellationToken shutdown)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        var next = SendTimes.NextReminder(now, invitation.Reminders - 1, rule, invitation, expiresAt);
        var messageId = sent.MessageId ?? "";
        var detail = DecisionTexts.ReminderSentDetail(invitation.Channel, invitation.RemindersSent + 1, invitation.RemindersSent + invitation.Reminders, messageId);
        await RecordAcceptedAsync(invitation, recording => store.MarkRemindedAsync(invitation, next, messageId, detail, recording), shutdown);
        metrics.Confirmed(System.Diagnostics.Stopwatch.GetElapsedTime(sent.CallStarted), invitation.Channel);
        metrics.Sent("reminded", invitation.Channel);
    }

    /// <summary>The record of a first send accepted at <paramref name="now"/>: links valid for <c>ValidFor</c>, the first reminder due.</summary>
    private static InvitationStore.SentMark SentMark(Invitation invitation, SendRule? rule, DateTimeOffset now, string messageId, string detail)
    {
        var expiresAt = now + invitation.ValidFor;
        return new(invitation, expiresAt, messageId, SendTimes.NextReminder(now, invitation.Reminders, rule, invitation, expiresAt), detail,
            System.Diagnostics.Activity.Current?.Id);
    }

    /// <summary>
    /// The provider has accepted the message, so recording that must outlast a database restart or failover, and a
    /// shutdown: were the job to give up, the claim's lease would lapse and the invitation go out again. Transient
    /// database errors are retried with backoff (<see cref="DatabaseRetry"/>) for up to half the claim lease, well before
    /// another sweep may take the invitation back; the host's stop (<paramref name="shutdown"/>, Hangfire's job token) is
    /// only noted, never obeyed, and the same half lease bounds the wait instead, as the outbox's marking of what Kafka
    /// acknowledged does.
    /// </summary>
    private async Task<bool> RecordAcceptedAsync(Invitation invitation, Func<CancellationToken, Task<bool>> record, CancellationToken shutdown)
    {
        using var noted = shutdown.Register(() => LogRecordingThroughShutdown(invitation.Id));
        var context = ResilienceContextPool.Shared.Get(CancellationToken.None);
        context.Properties.Set(InvitationKey, invitation.Id);
        try
        {
            return await _retry.ExecuteAsync(static async (context, record) => await record(context.CancellationToken), context, record);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    // Built once per recorder (sends are many): the invitation a retry is for travels in the execution's context.
    private static readonly ResiliencePropertyKey<Guid> InvitationKey = new("nps.invitation");

    private readonly ResiliencePipeline _retry = DatabaseRetry.Create(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2),
        within: options.Value.ClaimLease / 2,
        onRetry: (_, delay, context) => LogRecordRetry(logger, context.Properties.GetValue(InvitationKey, Guid.Empty), delay.TotalMilliseconds));

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down while recording invitation {InvitationId}, which the provider accepted: the record completes first")]
    private partial void LogRecordingThroughShutdown(Guid invitationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invitation {InvitationId} was accepted by the provider but the database is unavailable; recording it again in {DelayMs} ms")]
    private static partial void LogRecordRetry(ILogger logger, Guid invitationId, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invitation {InvitationId} was accepted by the provider in a send that was never confirmed; recorded as sent without sending again")]
    private partial void LogReconciled(Guid invitationId);
}
