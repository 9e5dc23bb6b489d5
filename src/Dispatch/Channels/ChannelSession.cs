using NpsTriggers.Core.Invitations;
using NpsTriggers.Dispatch.Email;

namespace NpsTriggers.Dispatch.Channels;

/// <summary>
/// What one send job run holds for its provider calls: one SMTP connection for all of the run's emails, since connecting
/// per message is the slow part of SMTP (Twilio goes through the pooled HttpClient and needs nothing here).
/// </summary>
public sealed class ChannelSession : IAsyncDisposable
{
    private readonly IEmailTransport? _email;

    private ChannelSession(IEmailTransport? email) => _email = email;

    /// <summary>The run's email connection; only a session opened for email invitations has one.</summary>
    public IEmailTransport Email => _email ?? throw new InvalidOperationException("This send run holds no email invitations, so it opened no email transport.");

    /// <summary>Opens a session for <paramref name="invitations"/>: an email transport when any of them is an email.</summary>
    public static async Task<ChannelSession> OpenAsync(IEmailTransportFactory transports, IEnumerable<Invitation> invitations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transports);
        return new ChannelSession(invitations.Any(i => i.Channel == InvitationChannel.Email) ? await transports.CreateAsync(cancellationToken) : null);
    }

    public ValueTask DisposeAsync() => _email?.DisposeAsync() ?? ValueTask.CompletedTask;
}
