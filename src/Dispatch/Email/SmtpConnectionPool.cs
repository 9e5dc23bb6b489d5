using System.Collections.Concurrent;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Dispatch.Email;

/// <summary>
/// A small pool of long-lived, authenticated SMTP connections. MailKit's <see cref="SmtpClient"/> is not
/// thread-safe and connecting (TCP, TLS, AUTH) is the slow part, so each send borrows one connection for its message
/// and gives it back; at most <see cref="SmtpOptions.MaxConnections"/> exist per process, and under load all of them
/// are busy at once (one message in flight on each).
/// </summary>
public sealed class SmtpConnectionPool(IOptions<SmtpOptions> options) : IEmailTransportFactory, IDisposable
{
    private readonly SmtpOptions _options = options.Value;
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConnections, options.Value.MaxConnections);
    private readonly ConcurrentBag<(SmtpClient Client, long ReturnedAt)> _idle = [];
    private int _created;

    /// <summary>Clients created so far (a connection reused across jobs is created once).</summary>
    public int Created => _created;

    public async Task<IEmailTransport> CreateAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        SmtpClient client;
        try
        {
            client = await BorrowAsync(cancellationToken);
        }
        catch
        {
            // A job cancelled (its server stopping) or failing while checking an idle connection gives its slot back: a
            // slot kept here is one connection fewer for the life of the pool, and with the last one every email waits.
            _slots.Release();
            throw;
        }
        return new SmtpEmailTransport(_options, client, GiveBack);
    }

    private async Task<SmtpClient> BorrowAsync(CancellationToken cancellationToken)
    {
        while (_idle.TryTake(out var idle))
        {
            if (!idle.Client.IsConnected)
            {
                idle.Client.Dispose();
                continue;
            }
            // A server may have closed an idle connection without us noticing; find out before a message does.
            if (System.Diagnostics.Stopwatch.GetElapsedTime(idle.ReturnedAt) > _options.IdleCheckAfter)
            {
                try
                {
                    await idle.Client.NoOpAsync(cancellationToken);
                }
                catch (Exception e)
                {
                    // Whatever ended the check (a dead connection, or the job's cancellation halfway through a command),
                    // the connection's state is unknown: it is closed, never put back.
                    idle.Client.Dispose();
                    if (e is IOException or SocketException or SmtpProtocolException or SmtpCommandException or ServiceNotConnectedException)
                        continue;
                    throw;
                }
            }
            return idle.Client;
        }
        Interlocked.Increment(ref _created);
        return new SmtpClient { Timeout = (int)_options.Timeout.TotalMilliseconds };
    }

    private void GiveBack(SmtpClient client)
    {
        if (client.IsConnected)
            _idle.Add((client, System.Diagnostics.Stopwatch.GetTimestamp()));
        else
            client.Dispose();
        _slots.Release();
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var idle))
        {
            if (idle.Client.IsConnected)
            {
                try
                {
                    idle.Client.Disconnect(quit: true);
                }
                catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or SmtpCommandException)
                {
                    // Closing anyway.
                }
            }
            idle.Client.Dispose();
        }
        _slots.Dispose();
    }
}
