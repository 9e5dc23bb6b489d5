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
    InFlightLimits inFlight,
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
        // The run's place in its process's rate pacers: older runs' calls are served first.
        var order = Stopwatch.GetTimestamp();
        var claimed = await claims.TakeAsync(claim, run, ids, cancellationToken);
        if (claimed.Count == 0)
            return;
        var current = rules.Current;
        await using var session = await channels.OpenAsync(claimed, cancellationToken);
        // One view of each channel's in-flight slots for the whole run: a batch's calls are still in flight while the
        // next batch is readied, and all of them have finished (recorded, or refused and recorded) before the run ends.
        var sends = new Dictionary<InvitationChannel, InFlightSends>();
        // The leases of the calls waiting for their rate token are kept alive while they wait.
        await using var waiting = new WaitingCalls(waitingIds => claims.RenewAsync(run, waitingIds, cancellationToken), options.Value.ClaimLease / 4);
        try
        {
            foreach (var batch in claimed.Chunk(options.Value.SendBatchSize))
                await SendBatchAsync(session, run, order, batch, current, sends, waiting, cancellationToken);
        }
        finally
        {
            // Every channel's calls end before the run does, even when one channel's failed.
            await Task.WhenAll(sends.Values.Select(calls => calls.DrainAsync()));
        }
    }

    /// <summary>
    /// Sends a batch of a job's invitations. What settles without a send is settled first, one by one; the rest share one
    /// lease renewal and one recontact transaction; each then waits for its rate token's time in the process's pacer. Each
    /// message is still sent, and its <c>sent</c> recorded, on its own, and many such sends run at once (<see cref="InFlightSends"/>): a process
    /// that dies between the provider's acceptance and those commits leaves at most the calls it had in flight
    /// unconfirmed, and the process-wide bound (<c>Sms:MaxInFlight</c>, <c>Smtp:MaxConnections</c>) caps those.
    /// </summary>
    private async Task SendBatchAsync(ChannelSession session, Guid run, long order, Invitation[] batch, SendRules current,
        Dictionary<InvitationChannel, InFlightSends> sends, WaitingCalls waiting, CancellationToken cancellationToken)
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
            if (!sends.TryGetValue(group.Key, out var calls))
                sends[group.Key] = calls = inFlight.Open(group.Key);
            var pacer = limiter.Pacer(bucket.Name, bucket.Limit);
            var queue = new Queue<Invitation>(group);
            while (queue.Count > 0)
            {
                // A slot first: each call holds one from before its rate token is booked until its sent is committed.
                var slots = await calls.ReserveAsync(queue.Count, cancellationToken);
                var started = 0;
                try
                {
                    if (Stopwatch.GetElapsedTime(renewedAt) > options.Value.ClaimLease / 4)
                    {
                        // A long wait for slots (calls held up by a paused sender): renew again, and leave alone what a
                        // later sweep took back meanwhile.
                        queue = new Queue<Invitation>(await RenewAsync(run, queue, cancellationToken));
                        renewedAt = Stopwatch.GetTimestamp();
                    }
                    var leaseFrom = renewedAt;
                    while (started < slots && queue.TryDequeue(out var next))
                    {
                        var invitation = next;
                        waiting.Add(invitation.Id);
                        calls.Start(() => PacedSendAsync(session, channel, pacer, run, order, invitation, current, leaseFrom, waiting, cancellationToken));
                        started++;
                    }
                }
                finally
                {
                    calls.Unreserve(slots - started);
                }
            }
        }
    }

    /// <summary>
    /// One call's wait for its rate token's time (<see cref="Limits.RatePacer"/>, shared by every run of the process), then
    /// its send. Its lease is kept while it waits (<see cref="WaitingCalls"/>); if that has not been renewed for a quarter
    /// of the lease (the database was away), it renews its own first, so the provider call starts well inside its lease,
    /// and it leaves alone an invitation a later sweep took back meanwhile.
    /// </summary>
    private async Task<SendResult> PacedSendAsync(ChannelSession session, IChannelSender channel, Limits.RatePacer pacer, Guid run, long order,
        Invitation invitation, SendRules current, long leaseFrom, WaitingCalls waiting, CancellationToken cancellationToken)
    {
        bool held;
        try
        {
            await pacer.WaitAsync(channel.Bucket.Limit, order, cancellationToken);
        }
        finally
        {
            held = waiting.Leave(invitation.Id);
        }
        if (!held)
        {
            LogClaimLost(invitation.Id);
            return default;
        }
        if (Stopwatch.GetElapsedTime(Math.Max(leaseFrom, waiting.RenewedAt)) > options.Value.ClaimLease / 4 && (await RenewAsync(run, [invitation], cancellationToken)).Count == 0)
            return default;
        return await SendOneAsync(session, channel, invitation, current, cancellationToken);
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
