using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;

namespace NpsTriggers.Dispatch.Email;

/// <summary>
/// One MailKit <see cref="SmtpClient"/> connected (and authenticated) once and reused for many messages, one at a
/// time: connecting per message is the slow part of SMTP. MailKit pipelines MAIL FROM and RCPT TO (RFC 2920) when
/// the server offers PIPELINING, so a message costs fewer round trips there. SmtpClient is not thread-safe; neither is this.
/// A dropped connection is re-opened on the next message. Given a client and a return callback (the
/// <see cref="SmtpConnectionPool"/>), disposing hands the connection back instead of closing it.
/// </summary>
public sealed class SmtpEmailTransport(SmtpOptions options, SmtpClient? client = null, Action<SmtpClient>? giveBack = null) : IEmailTransport
{
    private readonly SmtpClient _client = client ?? new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };

    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var connecting = !_client.IsConnected;
        try
        {
            if (connecting)
            {
                await _client.ConnectAsync(await ConnectSocketAsync(cancellationToken), options.Host!, options.Port, options.Security, cancellationToken);
                if (!string.IsNullOrEmpty(options.Username))
                    await _client.AuthenticateAsync(options.Username, options.Password ?? "", cancellationToken);
            }
            connecting = false;
            var (sender, recipients) = Envelope(message);
            await _client.SendAsync(HiddenEnvelopeHeaders, message, sender, recipients, cancellationToken);
        }
        catch (SmtpCommandException e)
        {
            // RFC 5321 §4.2.1: 5yz replies are permanent, 4yz transient.
            var permanent = (int)e.StatusCode >= 500;
            throw new EmailSendException($"SMTP {(int)e.StatusCode} {e.ErrorCode}: {e.Message.Trim()}", permanent, e, refused: true);
        }
        catch (Exception e) when (e is SmtpProtocolException or IOException or SocketException or ServiceNotConnectedException
                                       or MailKit.Security.AuthenticationException or TimeoutException
                                       || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await DropAsync();
            throw new EmailSendException($"SMTP connection to {options.Host}:{options.Port} failed: {e.Message}", permanent: false, e, refused: connecting);
        }
    }

    // Return-Path is for the delivering MTA to add (RFC 5321 §4.4); Bcc must never travel in the message.
    private static readonly FormatOptions HiddenEnvelopeHeaders = CreateFormatOptions();

    private static FormatOptions CreateFormatOptions()
    {
        var format = FormatOptions.Default.Clone();
        format.HiddenHeaders.Add(HeaderId.ReturnPath);
        format.HiddenHeaders.Add(HeaderId.Bcc);
        return format;
    }

    /// <summary>
    /// MAIL FROM is the message's per-invitation return path (<see cref="EmailComposer"/>), so a relay that accepts now and
    /// bounces later sends the bounce to the address that names the invitation; without one, the From address.
    /// </summary>
    public static (MailboxAddress Sender, IReadOnlyList<MailboxAddress> Recipients) Envelope(MimeMessage message)
    {
        var returnPath = message.Headers[HeaderId.ReturnPath];
        var sender = returnPath is not null && MailboxAddress.TryParse(returnPath, out var parsed)
            ? parsed
            : message.From.Mailboxes.First();
        return (sender, [.. message.To.Mailboxes, .. message.Cc.Mailboxes, .. message.Bcc.Mailboxes]);
    }

    /// <summary>
    /// The TCP connection, with Nagle's algorithm off. Every SMTP step is a write and then a wait for the reply, and
    /// MailKit ends a message with a short write of its own (the final dot); with Nagle on, that write waits for the
    /// server's delayed ACK of the body (40 ms on Linux), which capped a connection at about 20 messages a second.
    /// </summary>
    private async Task<Socket> ConnectSocketAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(options.Host!, options.Port, timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (giveBack is not null)
        {
            giveBack(_client);
            return;
        }
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync(quit: true);
            }
            catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or SmtpCommandException)
            {
                // The messages are sent; a failed QUIT changes nothing for them.
            }
        }
        _client.Dispose();
    }

    private async Task DropAsync()
    {
        if (!_client.IsConnected)
            return;
        try
        {
            await _client.DisconnectAsync(quit: false);
        }
        catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException)
        {
            // Already broken; the next message connects afresh.
        }
    }
}
