using Microsoft.Extensions.Options;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Sms;
using NpsTriggers.Dispatch.Email;
using NpsTriggers.Dispatch.Limits;
using NpsTriggers.Dispatch.Messages;
using NpsTriggers.Dispatch.Invitations;

namespace NpsTriggers.Dispatch.Channels;

/// <summary>
/// Email over the run's SMTP connection (<see cref="ChannelSession.Email"/>, behind the "smtp" resilience pipeline). A
/// permanently refused first email of an <c>email-then-sms</c> rule goes out again by SMS, at once. (A hard bounce that comes
/// back after the relay accepted the email does the same, from the ingest role's bounce reader: docs/EMAIL.md.)
/// </summary>
public sealed class EmailChannel(
    MessageFactory messages,
    InvitationStore store,
    SendFailures failures,
    RulesProvider rules,
    IOptions<SmtpOptions> smtp,
    IOptions<TwilioOptions> twilio,
    IOptions<RateLimitOptions> rates,
    DispatchMetrics metrics) : IChannelSender
{
    public InvitationChannel Channel => InvitationChannel.Email;

    public RateBucket Bucket => new($"email:{smtp.Value.Host ?? "pickup"}", rates.Value.Email);

    public string? Unsendable(Invitation invitation)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        return string.IsNullOrEmpty(invitation.Email) ? "no email address" : null;
    }

    public async Task<SendResult> SendAsync(ChannelSession session, Invitation invitation, SurveyDefinition survey, DateTimeOffset expiresAt, int reminder,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(invitation);
        var message = messages.Email(invitation, survey, expiresAt, reminder);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await session.Email.SendAsync(message, cancellationToken);
            metrics.ProviderCall("smtp", "accepted", started);
            Core.Faults.FailPoints.Reached(Core.Faults.FailPoints.DispatchAfterProviderAccepted);
            return new SendResult(message.MessageId ?? "", started);
        }
        catch (EmailSendException e)
        {
            metrics.ProviderCall("smtp", e.Permanent ? "rejected" : "failed", started);
            if (reminder == 0 && e.Permanent && FallsBackToSms(invitation))
            {
                await store.FallBackToSmsAsync(invitation, $"email failed ({e.Reason}); falling back to sms", cancellationToken);
                metrics.Sent("fallback", invitation.Channel);
            }
            else
                await failures.RecordAsync(invitation, new SendFailure(e.Reason, e.Permanent), reminder, cancellationToken);
            return default;
        }
    }

    private bool FallsBackToSms(Invitation invitation) => SmsFallback.Applies(rules.Current, twilio.Value, invitation.Rule, invitation.Phone);
}
