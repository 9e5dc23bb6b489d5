using MimeKit;

namespace NpsTriggers.Dispatch.Email;

/// <summary>One sending session (one SMTP connection reused for a chunk of messages). Not thread-safe.</summary>
public interface IEmailTransport : IAsyncDisposable
{
    /// <exception cref="EmailSendException">The message was not accepted.</exception>
    Task SendAsync(MimeMessage message, CancellationToken cancellationToken);
}

public interface IEmailTransportFactory
{
    Task<IEmailTransport> CreateAsync(CancellationToken cancellationToken);
}
