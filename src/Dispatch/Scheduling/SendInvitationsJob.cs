using NpsTriggers.Core.Sms;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Dispatch.Email;
using NpsTriggers.Dispatch.Sms;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// Sends one chunk of claimed invitations (or reminders) over one provider connection. The job takes only ids and
/// re-reads them: anything no longer claimed (already sent by an earlier run, cancelled, answered, …) is left
/// alone. Retries live in the invitation rows (rescheduled with backoff), not in Hangfire, so a retried job never
/// repeats a send that already succeeded.
/// </summary>
public sealed partial class SendInvitationsJob(
    InvitationStore store,
    ThrottleGate throttle,
    RulesProvider rules,
    SurveyLinks links,
    EmailComposer composer,
    IEmailTransportFactory transports,
    TwilioClient twilio,
    IOptions<TwilioOptions> twilioOptions,
    IOptions<SurveyLinkOptions> linkOptions,
    Limits.SharedRateLimiter limiter,
    IOptions<Limits.RateLimitOptions> rates,
    IOptions<SmtpOptions> smtpOptions,
    IOptions<DispatchOptions> options,
    TimeProvider time,
    DispatchMetrics metrics,
    ILogger<SendInvitationsJob> logger)
{
    // A job instance sends one message at a time: when the current provider call started (see DispatchMetrics.Confirmed).
    private long _providerCallStarted;

    // Set when a send found the sender's queue full and paused it (see TrySendSmsAsync).
    private bool _senderPaused;

    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(Guid claim, Guid[] ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var run = Guid.NewGuid();
        var claimed = await store.TakeClaimAsync(claim, run, ids, cancellationToken);
        if (claimed.Count == 0)
            return;
        var current = rules.Current;
        await using var transport = await transports.CreateAsync(cancellationToken);
        foreach (var batch in claimed.Chunk(options.Value.SendBatchSize))
            await SendBatchAsync(transport, run, batch, current, cancellationToken);
    }

    [AutomaticRetry(Attempts = 0)]
    public async Task RemindAsync(Guid claim, Guid[] ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var claimed = await store.TakeReminderClaimAsync(claim, Guid.NewGuid(), ids, cancellationToken);
        if (claimed.Count == 0)
            return;
        var current = rules.Current;
        await using var transport = await transports.CreateAsync(cancellationToken);
        foreach (var invitation in claimed)
        {
            using var activity = Core.Telemetry.NpsTelemetry.StartFrom($"remind {invitation.Channel}", invitation.TraceParent, System.Diagnostics.ActivityKind.Producer);
            activity?.SetTag("nps.invitation_id", invitation.Id.ToString());
            await RemindOneAsync(transport, invitation, current, cancellationToken);
        }
    }

    /// <summary>
    /// Sends a batch of a job's invitations. What settles without a send (reconciled, suppressed, unsendable, outside
    /// the window) is settled first, one by one; the rest share one lease renewal, one recontact transaction and a
    /// rate-limit draw per group of tokens. Each message is still sent, and its <c>sent</c> recorded, on its own, so a
    /// process that dies between the provider's acceptance and that commit leaves at most the one message it was
    /// sending unconfirmed.
    /// </summary>
    private async Task SendBatchAsync(IEmailTransport transport, Guid run, ClaimedInvitation[] batch, SendRules current, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ready = new List<ClaimedInvitation>(batch.Length);
        foreach (var invitation in batch)
            if (await PrepareAsync(invitation, current, now, cancellationToken))
                ready.Add(invitation);
        if (ready.Count == 0)
            return;
        var held = await RenewAsync(run, ready, cancellationToken);
        var renewedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        // Throttles are checked now, at send time, not only when the event arrived.
        var contacted = new List<ClaimedInvitation>(held.Count);
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
        foreach (var channel in contacted.GroupBy(i => i.Channel))
        {
            var (bucket, limit) = channel.Key == "sms" ? (SmsBucket, rates.Value.Sms) : (EmailBucket, rates.Value.Email);
            var queue = new Queue<ClaimedInvitation>(channel);
            while (queue.Count > 0)
            {
                var tokens = await limiter.AcquireUpToAsync(bucket, limit, queue.Count, cancellationToken);
                if (System.Diagnostics.Stopwatch.GetElapsedTime(renewedAt) > options.Value.ClaimLease / 4)
                {
                    // A long wait for the rate limit: renew again, so every provider call starts well inside its lease,
                    // and leave alone what a later sweep took back meanwhile.
                    queue = new Queue<ClaimedInvitation>(await RenewAsync(run, queue, cancellationToken));
                    renewedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                }
                for (var n = 0; n < tokens && queue.TryDequeue(out var invitation); n++)
                {
                    await SendOneAsync(transport, invitation, current, cancellationToken);
                    // The sender's queue is full (21611) and every replica pauses it: the tokens in hand are not spent.
                    if (_senderPaused)
                    {
                        _senderPaused = false;
                        break;
                    }
                }
            }
        }
    }

    /// <summary>Renews the lease of <paramref name="invitations"/>; returns those this run still holds, in order, and logs the rest.</summary>
    private async Task<List<ClaimedInvitation>> RenewAsync(Guid run, IReadOnlyCollection<ClaimedInvitation> invitations, CancellationToken cancellationToken)
    {
        var held = await store.RenewAsync(run, [.. invitations.Select(i => i.Id)], cancellationToken);
        var still = new List<ClaimedInvitation>(invitations.Count);
        foreach (var invitation in invitations)
        {
            if (held.Contains(invitation.Id))
                still.Add(invitation);
            else
                LogClaimLost(invitation.Id);
        }
        return still;
    }

    /// <summary>Settles what needs no send; true when the invitation is ready to go out now.</summary>
    private async Task<bool> PrepareAsync(ClaimedInvitation invitation, SendRules current, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (invitation.AcceptedMessageId is { } accepted)
        {
            // An earlier run's send reached the provider and that run died before recording it (the provider's status
            // callback told us): record it now, never send it twice.
            await RecordReconciledAsync(invitation, current, accepted, cancellationToken);
            return false;
        }
        if (invitation.RememberedCancel is { } cancelledBy)
        {
            await store.MarkCancelledAsync(invitation, cancelledBy, cancellationToken);
            metrics.Sent("cancelled", invitation.Channel);
            return false;
        }
        // Suppression is checked now, at send time, not only when the event arrived.
        if (invitation.Suppressed)
        {
            await store.MarkSuppressedAsync(invitation, $"{invitation.Channel} address is on the suppression list: {invitation.SuppressionEntry}", cancellationToken);
            metrics.Sent("suppressed", invitation.Channel);
            return false;
        }
        if (!current.Surveys.ContainsKey(invitation.Survey))
        {
            await store.MarkFailedAsync(invitation, $"survey '{invitation.Survey}' is no longer defined in the send rules", cancellationToken);
            metrics.Sent("failed", invitation.Channel);
            return false;
        }
        if (Unsendable(invitation) is { } unsendable)
        {
            await store.MarkFailedAsync(invitation, unsendable, cancellationToken);
            metrics.Sent("failed", invitation.Channel);
            return false;
        }
        // Quiet hours too: a retry's backoff, a provider outage or a rules edit can bring a send due outside its window.
        var rule = current.Rules.FirstOrDefault(r => r.Name == invitation.Rule);
        if (InWindow(now, rule, invitation) is var opening && opening > now)
        {
            await store.DeferAsync(invitation, opening - now, $"outside the send window {rule!.Window}; due again at {opening.UtcDateTime:yyyy-MM-dd HH:mm}Z", cancellationToken);
            metrics.Sent("deferred", invitation.Channel);
            return false;
        }
        return true;
    }

    /// <summary>One provider call for a ready, contacted invitation, and the commit that records it.</summary>
    private async Task SendOneAsync(IEmailTransport transport, ClaimedInvitation invitation, SendRules current, CancellationToken cancellationToken)
    {
        using var activity = Core.Telemetry.NpsTelemetry.StartFrom($"send {invitation.Channel}", invitation.TraceParent, System.Diagnostics.ActivityKind.Producer);
        activity?.SetTag("nps.invitation_id", invitation.Id.ToString());
        activity?.SetTag("nps.survey", invitation.Survey);
        var survey = current.Surveys[invitation.Survey];
        var rule = current.Rules.FirstOrDefault(r => r.Name == invitation.Rule);
        var now = time.GetUtcNow();
        string messageId;
        if (invitation.Channel == "sms")
        {
            if (await TrySendSmsAsync(invitation, survey, cancellationToken) is not { } sid)
                return;
            messageId = sid;
        }
        else
        {
            var message = Compose(invitation, survey, now + invitation.ValidFor, reminder: 0);
            if (!await TrySendAsync(transport, invitation, message, cancellationToken))
                return;
            messageId = message.MessageId ?? "";
        }
        await RecordAcceptedAsync(invitation, recording => MarkSentAsync(invitation, rule, now, messageId, recording), cancellationToken);
        metrics.Confirmed(System.Diagnostics.Stopwatch.GetElapsedTime(_providerCallStarted), invitation.Channel);
        metrics.Sent("sent", invitation.Channel);
    }

    /// <summary>
    /// Records the invitation as sent at <paramref name="now"/> under the provider's message id: its link valid for
    /// <c>ValidFor</c> from then, and its first reminder (if it has any) at the send window's next opening after
    /// <c>ReminderAfter</c>, unless that falls after the link expires.
    /// </summary>
    private Task<bool> MarkSentAsync(ClaimedInvitation invitation, SendRule? rule, DateTimeOffset now, string messageId, CancellationToken cancellationToken)
    {
        var expiresAt = now + invitation.ValidFor;
        DateTimeOffset? remindAt = invitation.RemindersLeft > 0 && invitation.ReminderAfter is { } after ? InWindow(now + after, rule, invitation) : null;
        return store.MarkSentAsync(invitation, expiresAt, messageId, remindAt is { } r && r < expiresAt ? r : null, cancellationToken);
    }

    private async Task RecordReconciledAsync(ClaimedInvitation invitation, SendRules current, string messageId, CancellationToken cancellationToken)
    {
        var rule = current.Rules.FirstOrDefault(r => r.Name == invitation.Rule);
        if (await MarkSentAsync(invitation, rule, time.GetUtcNow(), messageId, cancellationToken))
        {
            metrics.Sent("reconciled", invitation.Channel);
            LogReconciled(invitation.Id);
        }
    }

    private async Task RemindOneAsync(IEmailTransport transport, ClaimedInvitation invitation, SendRules current, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (invitation.Suppressed || invitation.RememberedCancel is not null || invitation.ExpiresAt is not { } expiresAt || expiresAt <= now
            || !current.Surveys.TryGetValue(invitation.Survey, out var survey) || Unsendable(invitation) is not null)
        {
            await store.StopRemindersAsync(invitation, cancellationToken);
            return;
        }
        if (InWindow(now, current.Rules.FirstOrDefault(r => r.Name == invitation.Rule), invitation) is var opening && opening > now)
        {
            await store.RetryReminderAsync(invitation, opening - now, cancellationToken);
            return;
        }
        var number = invitation.RemindersSent + 1;
        if (invitation.Channel == "sms")
        {
            try
            {
                if (!await ReadyToRemindAsync(invitation, SmsBucket, rates.Value.Sms, cancellationToken))
                    return;
                await SendSmsAsync(invitation, survey, number, cancellationToken);
            }
            catch (SmsSendException e) when (!e.Permanent)
            {
                if (e.QueueOverflow)
                    await limiter.PauseAsync(SmsBucket, rates.Value.Sms, rates.Value.QueueOverflowPause, cancellationToken);
                await store.RetryReminderAsync(invitation, Backoff(invitation.RemindersSent), cancellationToken);
                return;
            }
            catch (SmsSendException e)
            {
                await store.StopRemindersAsync(invitation, cancellationToken);
                LogFailed(invitation.Id, e.Reason);
                return;
            }
            await MarkRemindedAsync(invitation, current, now, expiresAt, cancellationToken);
            return;
        }
        var message = Compose(invitation, survey, expiresAt, number);
        try
        {
            if (!await ReadyToRemindAsync(invitation, EmailBucket, rates.Value.Email, cancellationToken))
                return;
            await SendEmailAsync(transport, message, cancellationToken);
        }
        catch (EmailSendException e) when (!e.Permanent)
        {
            await store.RetryReminderAsync(invitation, Backoff(invitation.RemindersSent), cancellationToken);
            LogRetry(invitation.Id, e.Reason, 0);
            return;
        }
        catch (EmailSendException e)
        {
            await store.StopRemindersAsync(invitation, cancellationToken);
            LogFailed(invitation.Id, e.Reason);
            return;
        }
        await MarkRemindedAsync(invitation, current, now, expiresAt, cancellationToken);
    }

    private async Task MarkRemindedAsync(ClaimedInvitation invitation, SendRules current, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var rule = current.Rules.FirstOrDefault(r => r.Name == invitation.Rule);
        DateTimeOffset? next = invitation.RemindersLeft > 1 && invitation.ReminderAfter is { } after ? InWindow(now + after, rule, invitation) : null;
        await RecordAcceptedAsync(invitation, recording => store.MarkRemindedAsync(invitation, next is { } n && n < expiresAt ? n : null, recording), cancellationToken);
        metrics.Confirmed(System.Diagnostics.Stopwatch.GetElapsedTime(_providerCallStarted), invitation.Channel);
        metrics.Sent("reminded", invitation.Channel);
    }

    /// <summary>
    /// The provider has accepted the message, so recording that must outlast a database restart or failover, and a
    /// shutdown: were the job to give up, the claim's lease would lapse and the invitation go out again. Transient
    /// database errors are retried with backoff for up to half the claim lease, well before another sweep may take the
    /// invitation back; the host's stop (<paramref name="shutdown"/>, Hangfire's job token) is only noted, never obeyed,
    /// and the same half lease bounds the wait instead, as the outbox's marking of what Kafka acknowledged does.
    /// </summary>
    private async Task<bool> RecordAcceptedAsync(ClaimedInvitation invitation, Func<CancellationToken, Task<bool>> record, CancellationToken shutdown)
    {
        var bound = options.Value.ClaimLease / 2;
        using var recording = new CancellationTokenSource(bound);
        using var noted = shutdown.Register(() => LogRecordingThroughShutdown(invitation.Id));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await record(recording.Token);
            }
            catch (Npgsql.NpgsqlException e) when (Core.Storage.DatabaseErrors.IsTransient(e)
                && System.Diagnostics.Stopwatch.GetElapsedTime(started) + delay < bound)
            {
                LogRecordRetry(invitation.Id, delay.TotalMilliseconds);
                await Task.Delay(delay, recording.Token);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2_000));
            }
        }
    }

    private bool FallsBackToSms(ClaimedInvitation invitation) =>
        !string.IsNullOrEmpty(invitation.Phone) && twilioOptions.Value.Enabled
        && rules.Current.Rules.FirstOrDefault(r => r.Name == invitation.Rule)?.Channel == SurveyChannel.EmailThenSms;

    /// <summary>Why this invitation can never go out on its channel, or null.</summary>
    private string? Unsendable(ClaimedInvitation invitation)
    {
        if (invitation.Channel != "sms")
            return string.IsNullOrEmpty(invitation.Email) ? "no email address" : null;
        if (!twilioOptions.Value.Enabled)
            return "the sms channel is not configured (Twilio:AccountSid is empty)";
        if (string.IsNullOrEmpty(invitation.Phone))
            return "no phone number";
        return PhoneNumberRules.TryNormalise(invitation.Phone, twilioOptions.Value.DefaultRegion, out _, out var reason) ? null : reason;
    }

    /// <summary>The SMS asks the question and how to answer by reply. Returns Twilio's message SID.</summary>
    private async Task<string> SendSmsAsync(ClaimedInvitation invitation, SurveyDefinition definition, int reminder, CancellationToken cancellationToken)
    {
        var texts = definition.Texts(invitation.Locale);
        PhoneNumberRules.TryNormalise(invitation.Phone!, twilioOptions.Value.DefaultRegion, out var to, out _);
        var body = SmsText.Compose(texts, invitation.Resolve, reminder);
        // The invitation id in the callback URL lets a status for a send this process never confirmed reach it anyway.
        var callback = new Uri(linkOptions.Value.PublicBaseUrl.TrimEnd('/') + "/twilio/status?invitation=" + invitation.Id.ToString("N"));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var sent = await twilio.SendAsync(to, body, callback, cancellationToken);
            metrics.ProviderCall("twilio", "accepted", started);
            Core.Faults.FailPoints.Reached(Core.Faults.FailPoints.DispatchAfterProviderAccepted);
            return sent.Sid;
        }
        catch (SmsSendException e)
        {
            metrics.ProviderCall("twilio", e.Permanent ? "rejected" : "failed", started);
            throw;
        }
    }

    private async Task<string?> TrySendSmsAsync(ClaimedInvitation invitation, SurveyDefinition survey, CancellationToken cancellationToken)
    {
        try
        {
            _providerCallStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            return await SendSmsAsync(invitation, survey, reminder: 0, cancellationToken);
        }
        catch (SmsSendException e) when (e.QueueOverflow)
        {
            // Twilio holds a few hours of messages per sender and refuses more (21611). Stop the sender on every
            // replica for a while and put this one back without counting an attempt: it was never sent.
            var pause = rates.Value.QueueOverflowPause;
            await limiter.PauseAsync(SmsBucket, rates.Value.Sms, pause, cancellationToken);
            _senderPaused = true;
            await store.DeferAsync(invitation, pause, e.Reason, cancellationToken);
            metrics.Sent("deferred", invitation.Channel);
            LogRetry(invitation.Id, e.Reason, pause.TotalSeconds);
        }
        catch (SmsSendException e) when (e.Permanent || invitation.Attempts + 1 >= options.Value.MaxAttempts)
        {
            if (e.Unsubscribed)
                await store.SuppressAddressAsync("sms", invitation.Phone!, "Twilio 21610: the number replied STOP", cancellationToken);
            await store.MarkFailedAsync(invitation, e.Reason, cancellationToken);
            metrics.Sent("failed", invitation.Channel);
            LogFailed(invitation.Id, e.Reason);
        }
        catch (SmsSendException e)
        {
            var backoff = Backoff(invitation.Attempts);
            await store.RescheduleAsync(invitation, backoff, e.Reason, cancellationToken);
            metrics.Sent("retry", invitation.Channel);
            LogRetry(invitation.Id, e.Reason, backoff.TotalSeconds);
        }
        return null;
    }


    private MimeMessage Compose(ClaimedInvitation invitation, SurveyDefinition definition, DateTimeOffset expiresAt, int reminder)
    {
        var survey = definition.Texts(invitation.Locale);
        var subject = survey.Subject.Render(invitation.Resolve);
        return composer.Compose(new SurveyEmail(
            invitation.Id,
            invitation.Email!,
            invitation.Name,
            reminder == 0 ? subject : "Reminder: " + subject,
            survey.Intro.Render(invitation.Resolve),
            survey.Question.Render(invitation.Resolve),
            survey.LowLabel.Render(invitation.Resolve),
            survey.HighLabel.Render(invitation.Resolve),
            invitation.Locale ?? "en",
            links.Scores(invitation.Id, expiresAt),
            links.Unsubscribe(invitation.Id, expiresAt),
            reminder));
    }

    private async Task SendEmailAsync(IEmailTransport transport, MimeMessage message, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await transport.SendAsync(message, cancellationToken);
            metrics.ProviderCall("smtp", "accepted", started);
            Core.Faults.FailPoints.Reached(Core.Faults.FailPoints.DispatchAfterProviderAccepted);
        }
        catch (EmailSendException e)
        {
            metrics.ProviderCall("smtp", e.Permanent ? "rejected" : "failed", started);
            throw;
        }
    }

    private string EmailBucket => $"email:{smtpOptions.Value.Host ?? "pickup"}";

    private string SmsBucket => $"sms:{twilioOptions.Value.MessagingServiceSid ?? twilioOptions.Value.From}";

    /// <summary>
    /// Before a reminder: waits for the sender's shared rate limit, then confirms this run still holds the invitation
    /// and renews its lease, so the provider call starts with a full lease however long the wait was. False: another
    /// run holds it.
    /// </summary>
    private async Task<bool> ReadyToRemindAsync(ClaimedInvitation invitation, string bucket, Limits.RateLimit limit, CancellationToken cancellationToken)
    {
        await limiter.AcquireAsync(bucket, limit, cancellationToken);
        var held = await store.RenewReminderAsync(invitation, cancellationToken);
        if (!held)
            LogClaimLost(invitation.Id);
        _providerCallStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        return held;
    }

    private async Task<bool> TrySendAsync(IEmailTransport transport, ClaimedInvitation invitation, MimeMessage message, CancellationToken cancellationToken)
    {
        try
        {
            _providerCallStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            await SendEmailAsync(transport, message, cancellationToken);
            return true;
        }
        catch (EmailSendException e) when (e.Permanent && FallsBackToSms(invitation))
        {
            // email-then-sms: a permanently failed email goes out again by SMS, at once.
            await store.FallBackToSmsAsync(invitation, $"email failed ({e.Reason}); falling back to sms", cancellationToken);
            metrics.Sent("fallback", invitation.Channel);
        }
        catch (EmailSendException e) when (e.Permanent || invitation.Attempts + 1 >= options.Value.MaxAttempts)
        {
            await store.MarkFailedAsync(invitation, e.Reason, cancellationToken);
            metrics.Sent("failed", invitation.Channel);
            LogFailed(invitation.Id, e.Reason);
        }
        catch (EmailSendException e)
        {
            var backoff = Backoff(invitation.Attempts);
            await store.RescheduleAsync(invitation, backoff, e.Reason, cancellationToken);
            metrics.Sent("retry", invitation.Channel);
            LogRetry(invitation.Id, e.Reason, backoff.TotalSeconds);
        }
        return false;
    }

    /// <summary>Reminders also respect the rule's send window, in the recipient's zone.</summary>
    private static DateTimeOffset InWindow(DateTimeOffset at, SendRule? rule, ClaimedInvitation invitation)
    {
        if (rule?.Window is not { } window)
            return at;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(invitation.TimeZone ?? rule.TimeZone ?? "UTC");
        return window.NextOpening(at, zone);
    }

    /// <summary>Exponential backoff with full jitter: 30 s, 1 min, 2 min, … capped at 1 hour.</summary>
    internal static TimeSpan Backoff(int attempts)
    {
        var ceiling = Math.Min(3600, 30 * Math.Pow(2, Math.Min(attempts, 10)));
        return TimeSpan.FromSeconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    // Provider answers can quote the address: logs get the redacted text, the invitation row keeps the original.
    private void LogFailed(Guid invitationId, string reason) => LogFailedRedacted(invitationId, Core.Privacy.PersonalData.Redact(reason));

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down while recording invitation {InvitationId}, which the provider accepted: the record completes first")]
    private partial void LogRecordingThroughShutdown(Guid invitationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invitation {InvitationId} was accepted by the provider but the database is unavailable; recording it again in {DelayMs} ms")]
    private partial void LogRecordRetry(Guid invitationId, double delayMs);

    private void LogRetry(Guid invitationId, string reason, double seconds) => LogRetryRedacted(invitationId, Core.Privacy.PersonalData.Redact(reason), seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invitation {InvitationId} failed: {Reason}")]
    private partial void LogFailedRedacted(Guid invitationId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Invitation {InvitationId} will be retried in {Seconds:F0} s: {Reason}")]
    private partial void LogRetryRedacted(Guid invitationId, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Invitation {InvitationId} is held by another send run now; this run leaves it alone")]
    private partial void LogClaimLost(Guid invitationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invitation {InvitationId} was accepted by the provider in a send that was never confirmed; recorded as sent without sending again")]
    private partial void LogReconciled(Guid invitationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Invitation {InvitationId} {Reason}")]
    private partial void LogThrottled(Guid invitationId, string reason);
}
