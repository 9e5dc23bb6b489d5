using NpsTriggers.Core.Invitations;
using NpsTriggers.Dispatch.Email;

namespace NpsTriggers.Dispatch.Channels;

/// <summary>The sender of each <see cref="InvitationChannel"/>, and the session a send run opens for them.</summary>
public sealed class ChannelSenders(EmailChannel email, SmsChannel sms, IEmailTransportFactory transports)
{
    public IChannelSender For(InvitationChannel channel) => channel switch
    {
        InvitationChannel.Email => email,
        InvitationChannel.Sms => sms,
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, null),
    };

    /// <summary>The session for a run holding <paramref name="invitations"/> (see <see cref="ChannelSession"/>).</summary>
    public Task<ChannelSession> OpenAsync(IEnumerable<Invitation> invitations, CancellationToken cancellationToken) =>
        ChannelSession.OpenAsync(transports, invitations, cancellationToken);
}
