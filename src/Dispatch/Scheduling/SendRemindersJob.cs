using System.Diagnostics;
using Hangfire;
using Microsoft.Extensions.Logging;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Dispatch.Channels;
using NpsTriggers.Dispatch.Invitations;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// Sends one chunk of reminders: sent, unanswered invitations the sweep claimed by pushing their <c>remind_at</c>
/// forward by the lease. Each reminder waits for its sender's rate limit, renews its claim, goes to its channel and is
/// recorded on its own; one that can no longer go out (suppressed, cancelled, expired, unsendable) gets no more reminders.
/// </summary>
public sealed partial class SendRemindersJob(
    InvitationClaims claims,
    InvitationStore store,
    Limits.SharedRateLimiter limiter,
    ChannelSenders channels,
    SendRecorder recorder,
    RulesProvider rules,
    InFlightLimits inFlight,
    TimeProvider time,
    ILogger<SendRemindersJob> logger)
{
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(Guid claim, Guid[] ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        // The run's place in its process's rate pacers, taken before its claim as a first-send run takes it: older runs' calls are served first.
        var order = Stopwatch.GetTimestamp();
        var claimed = await claims.TakeRemindersAsync(claim, Guid.NewGuid(), ids, cancellationToken);
        if (claimed.Count == 0)
            return;
        await using var session = await channels.OpenAsync(claimed, cancellationToken);
        var current = rules.Current;
        // Reminders wait for their tokens one by one, but their provider calls and commits overlap, within the same
        // process-wide in-flight bound as first sends (InFlightLimits).
        var sends = new Dictionary<InvitationChannel, InFlightSends>();
        try
        {
            foreach (var invitation in claimed)
            {
                if (!sends.TryGetValue(invitation.Channel, out var calls))
                    sends[invitation.Channel] = calls = inFlight.Open(invitation.Channel);
                await RemindAsync(session, calls, invitation, current, order, cancellationToken);
            }
        }
        finally
        {
            // Every channel's calls end before the run does, even when one channel's failed.
            await Task.WhenAll(sends.Values.Select(calls => calls.DrainAsync()));
        }
    }

    private async Task RemindAsync(ChannelSession session, InFlightSends calls, Invitation invitation, SendRules current, long order, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var channel = channels.For(invitation.Channel);
        if (invitation.Suppressed || invitation.RememberedCancel is not null || invitation.ExpiresAt is not { } expiresAt || expiresAt <= now
            || !current.Surveys.TryGetValue(invitation.Survey, out var survey) || channel.Unsendable(invitation) is not null)
        {
            await store.StopRemindersAsync(invitation, DecisionTexts.ReminderBlocked(invitation, now) ?? (!current.Surveys.ContainsKey(invitation.Survey) ? $"survey '{invitation.Survey}' is no longer defined in the send rules" : channel.Unsendable(invitation)!), cancellationToken);
            return;
        }
        var rule = current.RuleFor(invitation);
        if (SendTimes.NextOpening(now, rule, invitation) is var opening && opening > now)
        {
            await store.RetryReminderAsync(invitation, opening - now, cancellationToken, DecisionTexts.Deferred, DecisionTexts.WindowDetail(rule!.Window!.ToString(), opening, SendTimes.Zone(rule, invitation), $"reminder {invitation.RemindersSent + 1} of {invitation.RemindersSent + invitation.Reminders}"));
            return;
        }
        // Wait for a slot; then, in the call's own flow, for the sender's shared rate limit (the process's pacer, shared
        // with first sends), then confirm this run still holds the invitation and renew its lease, so the provider call
        // starts with a full lease however long the wait was.
        await calls.ReserveAsync(1, cancellationToken);
        var pacer = limiter.Pacer(channel.Bucket.Name, channel.Bucket.Limit);
        calls.Start(async () =>
        {
            await pacer.WaitAsync(channel.Bucket.Limit, order, cancellationToken);
            return await RenewSendRecordAsync(session, channel, invitation, survey, rule, now, expiresAt, cancellationToken);
        });
    }

    private async Task<SendResult> RenewSendRecordAsync(ChannelSession session, IChannelSender channel, Invitation invitation, SurveyDefinition survey,
        SendRule? rule, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        using var activity = Core.Telemetry.NpsTelemetry.StartFrom($"remind {invitation.Channel.Column()}", invitation.TraceParent, ActivityKind.Producer);
        activity?.SetTag("nps.invitation_id", invitation.Id.ToString());
        if (!await store.RenewReminderAsync(invitation, cancellationToken))
        {
            LogClaimLost(invitation.Id);
            return default;
        }
        var sent = await channel.SendAsync(session, invitation, survey, expiresAt, invitation.RemindersSent + 1, cancellationToken);
        if (sent.Accepted)
            await recorder.RecordRemindedAsync(invitation, rule, now, expiresAt, sent, cancellationToken);
        return sent;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Invitation {InvitationId} is held by another send run now; this run leaves it alone")]
    private partial void LogClaimLost(Guid invitationId);
}
