using MimeKit;
using NpsTriggers.Dispatch.Email;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Email;

/// <summary>The SMTP transport against a real SMTP server (aiosmtpd).</summary>
public sealed class SmtpEmailTransportTests
{
    internal static MimeMessage MessageFor(int n) => Message(n);

    private static MimeMessage Message(int n, string to = "anna@example.com")
    {
        var message = new MimeMessage { Subject = $"Survey {n}", MessageId = $"m{n}@nps.test" };
        message.From.Add(MailboxAddress.Parse("surveys@acme.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Headers.Add(HeaderId.ListUnsubscribePost, "List-Unsubscribe=One-Click");
        message.Body = new TextPart("plain") { Text = $"https://nps.acme.test/s/token-{n}" };
        return message;
    }

    private static SmtpOptions Options(SmtpCaptureServer smtp) =>
        new() { Host = smtp.Host, Port = smtp.Port, Security = MailKit.Security.SecureSocketOptions.None, Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task SendAsync_SeveralMessagesOnOneConnection_AreAllDeliveredIntact()
    {
        await using var smtp = await SmtpCaptureServer.StartAsync();
        await using (var transport = new SmtpEmailTransport(Options(smtp)))
            for (var n = 1; n <= 5; n++)
                await transport.SendAsync(Message(n), CancellationToken.None);
        var received = await smtp.WaitForMessagesAsync(5, TimeSpan.FromSeconds(10));
        received.Select(m => m.MessageId).ShouldBe(Enumerable.Range(1, 5).Select(n => $"m{n}@nps.test"));
        received[2].TextBody.ShouldNotBeNull().ShouldContain("https://nps.acme.test/s/token-3");
        received[2].Headers[HeaderId.ListUnsubscribePost].ShouldBe("List-Unsubscribe=One-Click");
    }

    [Fact]
    public async Task SendAsync_RejectedRecipient_IsAPermanentFailureAndTheConnectionCarriesOn()
    {
        await using var smtp = await SmtpCaptureServer.StartAsync(failRecipients: "^bounce@");
        await using var transport = new SmtpEmailTransport(Options(smtp));
        var error = await Should.ThrowAsync<EmailSendException>(() => transport.SendAsync(Message(1, "bounce@example.com"), CancellationToken.None));
        error.Permanent.ShouldBeTrue();
        error.Reason.ShouldContain("550");
        await transport.SendAsync(Message(2), CancellationToken.None);
        (await smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).Single().MessageId.ShouldBe("m2@nps.test");
    }

    [Fact]
    public async Task SendAsync_TemporaryFailure_IsTransient()
    {
        await using var smtp = await SmtpCaptureServer.StartAsync(tempFailFirst: 1);
        await using var transport = new SmtpEmailTransport(Options(smtp));
        var error = await Should.ThrowAsync<EmailSendException>(() => transport.SendAsync(Message(1), CancellationToken.None));
        error.Permanent.ShouldBeFalse();
        error.Reason.ShouldContain("451");
        await transport.SendAsync(Message(1), CancellationToken.None);
        (await smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).Count.ShouldBe(1);
    }

    [Fact]
    public async Task SendAsync_ServerUnreachable_IsTransient()
    {
        var options = new SmtpOptions { Host = "127.0.0.1", Port = FreePort.Next(), Security = MailKit.Security.SecureSocketOptions.None, Timeout = TimeSpan.FromSeconds(5) };
        await using var transport = new SmtpEmailTransport(options);
        var error = await Should.ThrowAsync<EmailSendException>(() => transport.SendAsync(Message(1), CancellationToken.None));
        error.Permanent.ShouldBeFalse();
    }

    [Fact]
    public async Task PickupDirectory_WritesParseableMessages()
    {
        var directory = Path.Combine(Path.GetTempPath(), "npstriggers-tests", "pickup-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var transport = new PickupDirectoryEmailTransport(directory))
                await transport.SendAsync(Message(7), CancellationToken.None);
            var file = Directory.GetFiles(directory).ShouldHaveSingleItem();
            Path.GetFileName(file).ShouldBe("m7@nps.test.eml");
            (await MimeMessage.LoadAsync(file)).Subject.ShouldBe("Survey 7");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>The connection pool against the real SMTP server.</summary>
public sealed class SmtpConnectionPoolTests
{
    [Fact]
    public async Task Pool_SequentialJobs_ReuseOneConnection_AndConcurrentJobsAreCapped()
    {
        await using var smtp = await SmtpCaptureServer.StartAsync();
        var options = Microsoft.Extensions.Options.Options.Create(new SmtpOptions
        {
            Host = smtp.Host, Port = smtp.Port, Security = MailKit.Security.SecureSocketOptions.None, MaxConnections = 2,
        });
        using var pool = new SmtpConnectionPool(options);
        for (var job = 0; job < 3; job++)
        {
            await using var transport = await pool.CreateAsync(CancellationToken.None);
            await transport.SendAsync(SmtpEmailTransportTests.MessageFor(job), CancellationToken.None);
        }
        pool.Created.ShouldBe(1);
        (await smtp.WaitForMessagesAsync(3, TimeSpan.FromSeconds(10))).Count.ShouldBe(3);

        var first = await pool.CreateAsync(CancellationToken.None);
        var second = await pool.CreateAsync(CancellationToken.None);
        var third = pool.CreateAsync(CancellationToken.None);
        third.IsCompleted.ShouldBeFalse(); // only two connections may exist
        await first.DisposeAsync();
        await using (var late = await third.WaitAsync(TimeSpan.FromSeconds(5)))
            await late.SendAsync(SmtpEmailTransportTests.MessageFor(9), CancellationToken.None);
        await second.DisposeAsync();
        // The third job waited for the first's connection instead of opening one of its own.
        pool.Created.ShouldBe(2);
    }

    [Fact]
    public async Task Pool_JobCancelledWhileCheckingAnIdleConnection_GivesItsSlotBack()
    {
        // The server takes 5 s to answer NOOP, and every idle connection is checked before reuse.
        await using var smtp = await SmtpCaptureServer.StartAsync(noopDelay: TimeSpan.FromSeconds(5));
        var options = Microsoft.Extensions.Options.Options.Create(new SmtpOptions
        {
            Host = smtp.Host, Port = smtp.Port, Security = MailKit.Security.SecureSocketOptions.None, MaxConnections = 1,
            IdleCheckAfter = TimeSpan.Zero,
        });
        using var pool = new SmtpConnectionPool(options);
        await using (var transport = await pool.CreateAsync(CancellationToken.None))
            await transport.SendAsync(SmtpEmailTransportTests.MessageFor(0), CancellationToken.None);

        // A job cancelled (its server stopping) while its idle connection's NOOP is unanswered.
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var cancelled = await Should.ThrowAsync<Exception>(() => pool.CreateAsync(cancel.Token));
        cancelled.ShouldBeAssignableTo<OperationCanceledException>();

        // The pool's only slot is free again: the next job gets a fresh connection and its message goes out.
        await using (var next = await pool.CreateAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)))
            await next.SendAsync(SmtpEmailTransportTests.MessageFor(1), CancellationToken.None);
        (await smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(10))).Count.ShouldBe(2);
        pool.Created.ShouldBe(2);
    }
}
