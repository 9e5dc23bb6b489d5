using MimeKit;
using Polly;
using Polly.CircuitBreaker;

namespace NpsTriggers.Dispatch.Email;

/// <summary>
/// Runs every SMTP send through the process-wide "smtp" resilience pipeline (<see cref="EmailExtensions"/>): quick
/// retries with jitter for failures that cannot have delivered the message, and a circuit breaker shared by all send
/// jobs of the process, so an SMTP outage costs one failed connection per break, not one per message.
/// </summary>
public sealed class ResilientEmailTransport(IEmailTransport inner, ResiliencePipeline pipeline) : IEmailTransport
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await pipeline.ExecuteAsync(
                static async (state, token) => await state.inner.SendAsync(state.message, token), (inner, message), cancellationToken);
        }
        catch (BrokenCircuitException e)
        {
            throw new EmailSendException($"SMTP circuit is open after repeated failures: {e.Message}", permanent: false, e, refused: true);
        }
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
