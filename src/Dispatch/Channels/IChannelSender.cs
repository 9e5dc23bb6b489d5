using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Dispatch.Limits;

namespace NpsTriggers.Dispatch.Channels;

/// <summary>
/// One channel's sender: it composes the message (through <see cref="Messages.MessageFactory"/>), calls its provider,
/// classifies the provider's refusal and records it (<see cref="SendFailures"/>, plus what only this channel does:
/// email's fallback to SMS, SMS's queue-overflow pause and STOP suppression). The send jobs only orchestrate around it.
/// </summary>
public interface IChannelSender
{
    InvitationChannel Channel { get; }

    /// <summary>The shared token bucket of this channel's sender (<c>email:&lt;host&gt;</c>, <c>sms:&lt;from&gt;</c>).</summary>
    RateBucket Bucket { get; }

    /// <summary>Why <paramref name="invitation"/> can never go out on this channel, or null.</summary>
    string? Unsendable(Invitation invitation);

    /// <summary>
    /// Sends the survey (<paramref name="reminder"/> 0) or its n-th reminder, its links valid until
    /// <paramref name="expiresAt"/>. A refusal is recorded before this returns, and the result says nothing was sent.
    /// </summary>
    Task<SendResult> SendAsync(ChannelSession session, Invitation invitation, SurveyDefinition survey, DateTimeOffset expiresAt, int reminder,
        CancellationToken cancellationToken);
}

/// <summary>A sender's shared rate limit: the bucket's name in <c>rate_limits</c> and its rate.</summary>
public sealed record RateBucket(string Name, RateLimit Limit);

/// <summary>What a provider call came to.</summary>
/// <param name="MessageId">The provider's id of the accepted message; null when nothing was accepted.</param>
/// <param name="CallStarted">When the provider call started (a Stopwatch timestamp), for the unconfirmed window.</param>
/// <param name="SenderPaused">The sender's queue is full and every replica pauses it: tokens in hand must not be spent.</param>
public readonly record struct SendResult(string? MessageId, long CallStarted, bool SenderPaused = false)
{
    public bool Accepted => MessageId is not null;
}
