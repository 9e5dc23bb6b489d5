using System.Diagnostics;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Dispatch.Channels;
using NpsTriggers.Dispatch.Invitations;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// Sends one chunk of claimed invitations: takes the claim, settles what needs no send, passes the rest through the
/// recontact throttle and the sender's rate limit, hands each to its channel and records what the provider accepted.
/// The job takes only ids and re-reads them: anything no longer claimed (already sent by an earlier run, cancelled,
/// answered, …) is left alone. Retries live in the invitation rows, not in Hangfire, so a retried job never repeats a
/// send that already succeeded. Reminders are <see cref="SendRemindersJob"/>'s.
/// </summary>
public sealed partial class SendInvitationsJob(
    InvitationClaims claims,
    SendPreparation preparation,
    ThrottleGate throttle,
    Limits.SharedRateLimiter limiter,
    ChannelSenders channels,
    SendRecorder recorder,
    RulesProvider rules,
    IOptions<DispatchOptions> options,
    TimeProvider time,
    DispatchMetrics metrics,
    ILogger<SendInvitationsJob> logger)
{
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(Guid claim, Guid[] ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var run = Guid.NewGuid();
        var claimed = await claims.TakeAsync(claim, run, ids, cancellationToken);
        if (claimed.Count == 0)
            return;
        var current = rules.Current;
        await using var session = await channels.OpenAsync(claimed, cancellationToken);
        foreach (var batch in claimed.Chunk(options.Value.SendBatchSize))
            await SendBatchAsync(session, run, batch, current, cancellationToken);
    }

    /// <summary>
    /// Sends a batch of a job's invitations. What settles without a send is settled first, one by one; the rest share one
    /// lease renewal, one recontact transaction and a rate-limit draw per group of tokens. Each message is still sent, and
    /// its <c>sent</c> recorded, on its own, so a process that dies between the provider's acceptance and that commit
    /// leaves at most the one message it was sending unconfirmed.
    /// </summary>
    private async Task SendBatchAsync(ChannelSession session, Guid run, Invitation[] batch, SendRules current, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ready = new List<Invitation>(batch.Length);
        foreach (var invitation in batch)
            if (await preparation.ReadyAsync(invitation, current, now, cancellationToken))
                ready.Add(invitation);
        if (ready.Count == 0)
            return;
        var held = await RenewAsync(run, ready, cancellationToken);
        var renewedAt = Stopwatch.GetTimestamp();
        // Throttles are checked now, at send time, not only when the event arrived.
        var contacted = new List<Invitation>(held.Count);
        foreach (var decision in await throttle.TryContactAsync(held, current, cancellationToken))
        {
            if (decision.Verdict is { } throttled)
            {
                metrics.Sent("throttled", decision.Invitation.Channel);
                LogThrottled(decision.Invitation.Id, throttled.ToString());
            }
            else if (decision.Contacted)
                contacted.Add(decision.Invitation);
            else
                LogClaimLost(decision.Invitation.Id);
        }
        foreach (var group in contacted.GroupBy(i => i.Channel))
        {
            var channel = channels.For(group.Key);
            var bucket = channel.Bucket;
            var queue = new Queue<Invitation>(group);
            while (queue.Count > 0)
            {
                var tokens = await limiter.AcquireUpToAsync(bucket.Name, bucket.Limit, queue.Count, cancellationToken);
                if (Stopwatch.GetElapsedTime(renewedAt) > options.Value.ClaimLease / 4)
                {
                    // A long wait for the rate limit: renew again, so every provider call starts well inside its lease,
                    // and leave alone what a later sweep took back meanwhile.
                    queue = new Queue<Invitation>(await RenewAsync(run, queue, cancellationToken));
                    renewedAt = Stopwatch.GetTimestamp();
                }
                for (var n = 0; n < tokens && queue.TryDequeue(out var invitation); n++)
                {
                    // The sender's queue is full (21611) and every replica pauses it: the tokens in hand are not spent.
                    if ((await SendOneAsync(session, channel, invitation, current, cancellationToken)).SenderPaused)
                        break;
                }
            }
        }
    }

    /// <summary>Renews the lease of <paramref name="invitations"/>; returns those this run still holds, in order, and logs the rest.</summary>
    private async Task<List<Invitation>> RenewAsync(Guid run, IReadOnlyCollection<Invitation> invitations, CancellationToken cancellationToken)
    {
        var held = await claims.RenewAsync(run, [.. invitations.Select(i => i.Id)], cancellationToken);
        var still = new List<Invitation>(invitations.Count);
        foreach (var invitation in invitations)
        {
            if (held.Contains(invitation.Id))
                still.Add(invitation);
            else
                LogClaimLost(invitation.Id);
        }
        return still;
    }

    /// <summary>One provider call for a ready, contacted invitation, and the commit that records it.</summary>
    private async Task<SendResult> SendOneAsync(ChannelSession session, IChannelSender channel, Invitation invitation, SendRules current, CancellationToken cancellationToken)
    {
        using var activity = Core.Telemetry.NpsTelemetry.StartFrom($"send {invitation.Channel.Column()}", invitation.TraceParent, ActivityKind.Producer);
        activity?.SetTag("nps.invitation_id", invitation.Id.ToString());
        activity?.SetTag("nps.survey", invitation.Survey);
        var now = time.GetUtcNow();
        var sent = await channel.SendAsync(session, invitation, current.Surveys[invitation.Survey], now + invitation.ValidFor, reminder: 0, cancellationToken);
        if (sent.Accepted)
            await recorder.RecordSentAsync(invitation, current.RuleFor(invitation), now, sent, cancellationToken);
        return sent;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Invitation {InvitationId} is held by another send run now; this run leaves it alone")]
    private partial void LogClaimLost(Guid invitationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Invitation {InvitationId} {Reason}")]
    private partial void LogThrottled(Guid invitationId, string reason);
}
