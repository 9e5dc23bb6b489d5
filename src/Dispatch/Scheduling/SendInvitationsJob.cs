using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Dispatch.Email;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// Sends one chunk of claimed invitations over one provider connection. The job takes only ids and re-reads
/// them: anything no longer in <c>sending</c> (already sent by an earlier run, cancelled, …) is left alone.
/// Retries live in the invitation rows (rescheduled with backoff), not in Hangfire, so a retried job never
/// repeats a send that already succeeded.
/// </summary>
public sealed partial class SendInvitationsJob(
    InvitationStore store,
    SendRules rules,
    SurveyLinks links,
    EmailComposer composer,
    IEmailTransportFactory transports,
    IOptions<DispatchOptions> options,
    TimeProvider time,
    DispatchMetrics metrics,
    ILogger<SendInvitationsJob> logger)
{
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var claimed = await store.ReadClaimedAsync(ids, cancellationToken);
        if (claimed.Count == 0)
            return;
        await using var transport = await transports.CreateAsync(cancellationToken);
        foreach (var invitation in claimed)
            await SendOneAsync(transport, invitation, cancellationToken);
    }

    private async Task SendOneAsync(IEmailTransport transport, ClaimedInvitation invitation, CancellationToken cancellationToken)
    {
        if (invitation.Suppressed)
        {
            await store.MarkSuppressedAsync(invitation.Id, $"{invitation.Channel} address is on the suppression list", cancellationToken);
            metrics.Sent("suppressed");
            return;
        }
        if (!rules.Surveys.TryGetValue(invitation.Survey, out var survey))
        {
            await store.MarkFailedAsync(invitation.Id, $"survey '{invitation.Survey}' is no longer defined in the send rules", cancellationToken);
            metrics.Sent("failed");
            return;
        }
        if (string.IsNullOrEmpty(invitation.Email))
        {
            await store.MarkFailedAsync(invitation.Id, "no email address", cancellationToken);
            metrics.Sent("failed");
            return;
        }
        var expiresAt = time.GetUtcNow() + invitation.ValidFor;
        var message = composer.Compose(new SurveyEmail(
            invitation.Id,
            invitation.Email,
            invitation.Name,
            survey.Subject.Render(invitation.Resolve),
            survey.Intro.Render(invitation.Resolve),
            survey.Question.Render(invitation.Resolve),
            survey.LowLabel.Render(invitation.Resolve),
            survey.HighLabel.Render(invitation.Resolve),
            invitation.Locale ?? "en",
            links.Scores(invitation.Id, expiresAt),
            links.Unsubscribe(invitation.Id, expiresAt)));
        try
        {
            await transport.SendAsync(message, cancellationToken);
        }
        catch (EmailSendException e) when (e.Permanent || invitation.Attempts + 1 >= options.Value.MaxAttempts)
        {
            await store.MarkFailedAsync(invitation.Id, e.Reason, cancellationToken);
            metrics.Sent("failed");
            LogFailed(invitation.Id, e.Reason);
            return;
        }
        catch (EmailSendException e)
        {
            var backoff = Backoff(invitation.Attempts);
            await store.RescheduleAsync(invitation.Id, backoff, e.Reason, cancellationToken);
            metrics.Sent("retry");
            LogRetry(invitation.Id, e.Reason, backoff.TotalSeconds);
            return;
        }
        await store.MarkSentAsync(invitation.Id, expiresAt, message.MessageId ?? "", cancellationToken);
        metrics.Sent("sent");
    }

    /// <summary>Exponential backoff with full jitter: 30 s, 1 min, 2 min, … capped at 1 hour.</summary>
    internal static TimeSpan Backoff(int attempts)
    {
        var ceiling = Math.Min(3600, 30 * Math.Pow(2, Math.Min(attempts, 10)));
        return TimeSpan.FromSeconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invitation {InvitationId} failed: {Reason}")]
    private partial void LogFailed(Guid invitationId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Invitation {InvitationId} will be retried in {Seconds:F0} s: {Reason}")]
    private partial void LogRetry(Guid invitationId, string reason, double seconds);
}
