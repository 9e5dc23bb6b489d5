using MimeKit;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Dispatch.Email;

namespace NpsTriggers.Dispatch.Channels;

/// <summary>
/// What one send job run holds for its provider calls. Its emails run many at once, and MailKit sends one message at a
/// time per connection, so each email borrows a long-lived connection from the process's pool
/// (<see cref="SmtpConnectionPool"/>, <c>Smtp:MaxConnections</c>) for its one message and gives it back at once: taking
/// an idle connection is cheap, connecting is the slow part of SMTP, and a run never sits on connections another run's
/// sends are waiting for. Twilio goes through the pooled HttpClient and needs nothing here.
/// </summary>
public sealed class ChannelSession : IAsyncDisposable
{
    private readonly IEmailTransport? _email;

    private ChannelSession(IEmailTransport? email) => _email = email;

    /// <summary>The run's email transport (safe to call concurrently); only a session opened for email invitations has one.</summary>
    public IEmailTransport Email => _email ?? throw new InvalidOperationException("This send run holds no email invitations, so it opened no email transport.");

    /// <summary>Opens a session for <paramref name="invitations"/>: an email transport when any of them is an email.</summary>
    public static Task<ChannelSession> OpenAsync(IEmailTransportFactory transports, IEnumerable<Invitation> invitations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transports);
        return Task.FromResult(new ChannelSession(invitations.Any(i => i.Channel == InvitationChannel.Email) ? new BorrowingTransport(transports) : null));
    }

    public ValueTask DisposeAsync() => _email?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>Borrows a transport per message, so concurrent sends each have their own connection.</summary>
    private sealed class BorrowingTransport(IEmailTransportFactory transports) : IEmailTransport
    {
        public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
        {
            await using var transport = await transports.CreateAsync(cancellationToken);
            await transport.SendAsync(message, cancellationToken);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
