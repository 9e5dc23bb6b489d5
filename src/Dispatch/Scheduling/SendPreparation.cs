using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Dispatch.Channels;
using NpsTriggers.Dispatch.Invitations;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// Settles, one by one, the claimed invitations that need no send: one an earlier run's provider already accepted, one a
/// remembered cancel stops, a suppressed address, a survey or contact that is gone, a send outside its window. What is
/// left goes on to the throttle and the channel.
/// </summary>
public sealed class SendPreparation(InvitationStore store, SendRecorder recorder, ChannelSenders channels, DispatchMetrics metrics)
{
    /// <summary>True when <paramref name="invitation"/> is ready to go out at <paramref name="now"/>.</summary>
    public async Task<bool> ReadyAsync(Invitation invitation, SendRules rules, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        ArgumentNullException.ThrowIfNull(rules);
        var rule = rules.RuleFor(invitation);
        if (invitation.AcceptedMessageId is { } accepted)
        {
            await recorder.RecordReconciledAsync(invitation, rule, now, accepted, cancellationToken);
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
            await store.MarkSuppressedAsync(invitation, $"{invitation.Channel.Column()} address is on the suppression list: {invitation.SuppressionEntry}", cancellationToken);
            metrics.Sent("suppressed", invitation.Channel);
            return false;
        }
        var unsendable = rules.Surveys.ContainsKey(invitation.Survey)
            ? channels.For(invitation.Channel).Unsendable(invitation)
            : $"survey '{invitation.Survey}' is no longer defined in the send rules";
        if (unsendable is not null)
        {
            await store.MarkFailedAsync(invitation, unsendable, DecisionTexts.UnsendableDetail(invitation.Channel, unsendable), cancellationToken);
            metrics.Sent("failed", invitation.Channel);
            return false;
        }
        // Quiet hours too: a retry's backoff, a provider outage or a rules edit can bring a send due outside its window.
        if (SendTimes.NextOpening(now, rule, invitation) is var opening && opening > now)
        {
            await store.DeferAsync(invitation, opening - now, DecisionTexts.WindowDetail(rule!.Window!.ToString(), opening, SendTimes.Zone(rule, invitation)), cancellationToken);
            metrics.Sent("deferred", invitation.Channel);
            return false;
        }
        return true;
    }
}
