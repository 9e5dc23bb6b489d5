using Microsoft.Extensions.Options;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Sms;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Dispatch.Limits;
using NpsTriggers.Dispatch.Messages;
using NpsTriggers.Dispatch.Sms;
using NpsTriggers.Dispatch.Invitations;

namespace NpsTriggers.Dispatch.Channels;

/// <summary>
/// SMS through Twilio's Messages API (<see cref="TwilioClient"/>). Twilio's answers that concern more than the one
/// message are handled here: 21611 (the sender's queue is full) pauses the sender on every replica, and 21610 (the
/// number replied STOP) puts the number on the suppression list.
/// </summary>
public sealed class SmsChannel(
    TwilioClient twilio,
    InvitationStore store,
    SendFailures failures,
    SharedRateLimiter limiter,
    IOptions<TwilioOptions> options,
    IOptions<SurveyLinkOptions> links,
    IOptions<RateLimitOptions> rates,
    DispatchMetrics metrics) : IChannelSender
{
    public InvitationChannel Channel => InvitationChannel.Sms;

    public RateBucket Bucket => new($"sms:{options.Value.MessagingServiceSid ?? options.Value.From}", rates.Value.Sms);

    public string? Unsendable(Invitation invitation)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        if (!options.Value.Enabled)
            return "the sms channel is not configured (Twilio:AccountSid is empty)";
        if (string.IsNullOrEmpty(invitation.Phone))
            return "no phone number";
        return PhoneNumberRules.TryNormalise(invitation.Phone, options.Value.DefaultRegion, out _, out var reason) ? null : reason;
    }

    public async Task<SendResult> SendAsync(ChannelSession session, Invitation invitation, SurveyDefinition survey, DateTimeOffset expiresAt, int reminder,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        var body = MessageFactory.Sms(invitation, survey, reminder);
        PhoneNumberRules.TryNormalise(invitation.Phone!, options.Value.DefaultRegion, out var to, out _);
        // The invitation id in the callback URL lets a status for a send this process never confirmed reach it anyway.
        var callback = new Uri(links.Value.PublicBaseUrl.TrimEnd('/') + "/twilio/status?invitation=" + invitation.Id.ToString("N"));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var sent = await twilio.SendAsync(to, body, callback, cancellationToken);
            metrics.ProviderCall("twilio", "accepted", started);
            Core.Faults.FailPoints.Reached(Core.Faults.FailPoints.DispatchAfterProviderAccepted);
            return new SendResult(sent.Sid, started);
        }
        catch (SmsSendException e)
        {
            metrics.ProviderCall("twilio", e.Permanent ? "rejected" : "failed", started);
            return await RefusedAsync(invitation, e, reminder, cancellationToken);
        }
    }

    private async Task<SendResult> RefusedAsync(Invitation invitation, SmsSendException e, int reminder, CancellationToken cancellationToken)
    {
        if (e.QueueOverflow)
        {
            // Twilio holds a few hours of messages per sender and refuses more (21611). Stop the sender on every replica
            // for a while; a first send goes back without counting an attempt, since it was never sent.
            var pause = rates.Value.QueueOverflowPause;
            var bucket = Bucket;
            await limiter.PauseAsync(bucket.Name, bucket.Limit, pause, cancellationToken);
            if (reminder == 0)
                await failures.DeferAsync(invitation, pause, e.Reason, cancellationToken);
            else
                await failures.RecordAsync(invitation, new SendFailure(e.Reason, Permanent: false), reminder, cancellationToken);
            return new SendResult(null, 0, SenderPaused: true);
        }
        if (e.Unsubscribed && reminder == 0)
            await store.SuppressAddressAsync(InvitationChannel.Sms, invitation.Phone!, "Twilio 21610: the number replied STOP", cancellationToken);
        await failures.RecordAsync(invitation, new SendFailure(e.Reason, e.Permanent), reminder, cancellationToken);
        return default;
    }
}
