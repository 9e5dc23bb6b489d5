using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Dispatch.Invitations;

namespace NpsTriggers.Dispatch.Channels;

/// <summary>A provider's refusal, as the channel that called it classified it.</summary>
/// <param name="Permanent">Retrying cannot help (a 5xx SMTP reply, an invalid number, …).</param>
public sealed record SendFailure(string Reason, bool Permanent);

/// <summary>
/// What a refused send does to its invitation, written once for every channel. A first send fails for good when the
/// refusal is permanent or its attempts are used up, and is otherwise due again after a backoff; a reminder is tried
/// again after a backoff, or, refused for good, stops the reminders. Retries live in the row, never in Hangfire.
/// </summary>
public sealed partial class SendFailures(InvitationStore store, DispatchMetrics metrics, IOptions<DispatchOptions> options, ILogger<SendFailures> logger)
{
    public async Task RecordAsync(Invitation invitation, SendFailure failure, int reminder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        ArgumentNullException.ThrowIfNull(failure);
        if (reminder > 0 && failure.Permanent)
        {
            await store.StopRemindersAsync(invitation, $"{invitation.Channel.Column()} refused it for good: {failure.Reason}", cancellationToken);
            LogFailed(invitation.Id, failure.Reason);
        }
        else if (reminder > 0)
        {
            var backoff = Backoff(invitation.RemindersSent);
            await store.RetryReminderAsync(invitation, backoff, cancellationToken, DecisionTexts.Retrying,
                DecisionTexts.ReminderRetryingDetail(invitation.Channel, failure.Reason, invitation.RemindersSent + 1, invitation.RemindersSent + invitation.Reminders));
            LogRetry(invitation.Id, failure.Reason, backoff.TotalSeconds);
        }
        else if (failure.Permanent || invitation.Attempts + 1 >= options.Value.MaxAttempts)
        {
            await store.MarkFailedAsync(invitation, failure.Reason,
                DecisionTexts.FailedDetail(invitation.Channel, failure.Reason, failure.Permanent, invitation.Attempts + 1), cancellationToken);
            metrics.Sent("failed", invitation.Channel);
            LogFailed(invitation.Id, failure.Reason);
        }
        else
        {
            var backoff = Backoff(invitation.Attempts);
            await store.RescheduleAsync(invitation, backoff, failure.Reason,
                DecisionTexts.RetryingDetail(invitation.Channel, failure.Reason, invitation.Attempts + 1, options.Value.MaxAttempts), cancellationToken);
            metrics.Sent("retry", invitation.Channel);
            LogRetry(invitation.Id, failure.Reason, backoff.TotalSeconds);
        }
    }

    /// <summary>Nothing was attempted (the provider refused before taking the message): due again after <paramref name="pause"/>, no attempt counted.</summary>
    public async Task DeferAsync(Invitation invitation, TimeSpan pause, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        await store.DeferAsync(invitation, pause, reason, cancellationToken,
            $"{invitation.Channel.Column()} not sent: {reason}; the sender pauses, due again at {DecisionTexts.DueMark}");
        metrics.Sent("deferred", invitation.Channel);
        LogRetry(invitation.Id, reason, pause.TotalSeconds);
    }

    /// <summary>Exponential backoff with full jitter: 30 s, 1 min, 2 min, … capped at 1 hour.</summary>
    internal static TimeSpan Backoff(int attempts)
    {
        var ceiling = Math.Min(3600, 30 * Math.Pow(2, Math.Min(attempts, 10)));
        return TimeSpan.FromSeconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    // Provider answers can quote the address: logs get the redacted text, the invitation row keeps the original.
    private void LogFailed(Guid invitationId, string reason) => LogFailedRedacted(invitationId, Core.Privacy.PersonalData.Redact(reason));

    private void LogRetry(Guid invitationId, string reason, double seconds) => LogRetryRedacted(invitationId, Core.Privacy.PersonalData.Redact(reason), seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invitation {InvitationId} failed: {Reason}")]
    private partial void LogFailedRedacted(Guid invitationId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Invitation {InvitationId} will be retried in {Seconds:F0} s: {Reason}")]
    private partial void LogRetryRedacted(Guid invitationId, string reason, double seconds);
}
