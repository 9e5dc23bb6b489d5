using System.Diagnostics;
using NpsTriggers.Dispatch.Email;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Email;

/// <summary>Many emails in flight at once against the real SMTP server (aiosmtpd) made slow like a relay: the pool and RFC 2920 pipelining.</summary>
public sealed class SmtpPipeliningTests
{
    private static SmtpConnectionPool Pool(SmtpCaptureServer smtp, int maxConnections) => new(Microsoft.Extensions.Options.Options.Create(new SmtpOptions
    {
        Host = smtp.Host, Port = smtp.Port, Security = MailKit.Security.SecureSocketOptions.None, MaxConnections = maxConnections,
        Timeout = TimeSpan.FromSeconds(30),
    }));

    private static async Task SendAsync(SmtpConnectionPool pool, int n)
    {
        await using var transport = await pool.CreateAsync(CancellationToken.None);
        await transport.SendAsync(SmtpEmailTransportTests.MessageFor(n), CancellationToken.None);
    }

    [Fact]
    public async Task Pool_ConcurrentSendsAgainstASlowServer_GrowsToMaxConnectionsAndNoFurther()
    {
        await using var smtp = await SmtpCaptureServer.StartAsync(latency: TimeSpan.FromMilliseconds(150), jitter: TimeSpan.FromMilliseconds(50));
        using var pool = Pool(smtp, maxConnections: 5);
        var before = smtp.Stats().Connections; // aiosmtpd's own start-up probe

        await Task.WhenAll(Enumerable.Range(0, 60).Select(n => SendAsync(pool, n)));

        var received = await smtp.WaitForMessagesAsync(60, TimeSpan.FromSeconds(30));
        received.Select(m => m.MessageId).Order(StringComparer.Ordinal)
            .ShouldBe(Enumerable.Range(0, 60).Select(n => $"m{n}@nps.test").Order(StringComparer.Ordinal));
        pool.Created.ShouldBe(5);
        var stats = smtp.Stats();
        stats.MaxOpen.ShouldBe(5);
        (stats.Connections - before).ShouldBe(5);
        stats.Mail.ShouldBe(60);
    }

    [Fact]
    public async Task Send_ServerOffersPipelining_MailFromAndRcptToGoInOneRoundTrip()
    {
        await using var smtp = await SmtpCaptureServer.StartAsync();
        using var pool = Pool(smtp, maxConnections: 1);
        for (var n = 0; n < 5; n++)
            await SendAsync(pool, n);
        (await smtp.WaitForMessagesAsync(5, TimeSpan.FromSeconds(10))).Count.ShouldBe(5);
        smtp.Stats().ShouldSatisfyAllConditions(s => s.Mail.ShouldBe(5), s => s.PipelinedMail.ShouldBe(5));
    }

    [Fact]
    public async Task Send_ServerWithoutPipelining_WaitsForEachReply()
    {
        // The other side of the test above: the server's count is not always "pipelined".
        await using var smtp = await SmtpCaptureServer.StartAsync(pipelining: false);
        using var pool = Pool(smtp, maxConnections: 1);
        for (var n = 0; n < 5; n++)
            await SendAsync(pool, n);
        (await smtp.WaitForMessagesAsync(5, TimeSpan.FromSeconds(10))).Count.ShouldBe(5);
        smtp.Stats().ShouldSatisfyAllConditions(s => s.Mail.ShouldBe(5), s => s.PipelinedMail.ShouldBe(0));
    }

    [Fact]
    public async Task CaptureServer_WithLatency_AnswersTheEndOfDataNoSooner()
    {
        await using var smtp = await SmtpCaptureServer.StartAsync(latency: TimeSpan.FromMilliseconds(400), jitter: TimeSpan.FromMilliseconds(100));
        using var pool = Pool(smtp, maxConnections: 1);
        await SendAsync(pool, 0); // connects
        var started = Stopwatch.GetTimestamp();
        await SendAsync(pool, 1);
        // A lower bound only (the latency minus its jitter): a loaded machine may take longer, never shorter.
        Stopwatch.GetElapsedTime(started).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(290));
    }
}
