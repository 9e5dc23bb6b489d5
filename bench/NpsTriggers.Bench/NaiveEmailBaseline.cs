using System.Globalization;
using MailKit.Security;
using MimeKit;
using NpsTriggers.Dispatch.Email;
using NpsTriggers.Testing;

namespace NpsTriggers.Bench;

/// <summary>
/// The naive design for email: one Hangfire job per message, each opening its own SMTP connection with the service's
/// <see cref="SmtpEmailTransport"/> (no pool: connect, send, QUIT). The message is a plain two-part mail built in the
/// job, not the service's templated one, and the job touches no invitation rows, so it does less per message.
/// </summary>
public static class NaiveEmailBaseline
{
    private static SmtpOptions? _options;

    public static async Task<double> RunAsync(int count)
    {
        await using var smtp = await SmtpCaptureServer.StartAsync();
        _options = new SmtpOptions { Host = smtp.Host, Port = smtp.Port, Security = SecureSocketOptions.None };
        var database = await PostgresServer.Shared.CreateDatabaseAsync("naivemail");
        var storage = NaiveHangfire.Storage(database);
        NaiveHangfire.Enqueue(storage, count, i => () => SendAsync(i));
        using (var server = NaiveHangfire.Server(storage))
        {
            await EmailDispatchBenchmark.WaitForAsync(smtp, count, TimeSpan.FromMinutes(10));
            server.SendStop();
        }
        var rate = EmailDispatchBenchmark.Read(smtp).Rate;
        Console.WriteLine($"  naive: {rate:N0} sends/s first to last message (one Hangfire job and one SMTP connection per email, 8 workers)");
        return rate;
    }

    /// <summary>The job: one email. Public and static so Hangfire can serialise and invoke it.</summary>
    public static async Task SendAsync(int i)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Acme", "surveys@acme.test"));
        message.To.Add(new MailboxAddress("Bo", $"naive-customer{i.ToString(CultureInfo.InvariantCulture)}@example.com"));
        message.Subject = $"Hi Bo, how did we do with ticket T-{i.ToString(CultureInfo.InvariantCulture)}?";
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("nps.acme.test");
        message.Body = new BodyBuilder
        {
            TextBody = "How likely are you to recommend Acme support to a friend or colleague? Answer: https://nps.acme.test/s/0123456789abcdef",
            HtmlBody = "<p>How likely are you to recommend Acme support to a friend or colleague?</p><p><a href=\"https://nps.acme.test/s/0123456789abcdef\">Answer</a></p>",
        }.ToMessageBody();
        await using var transport = new SmtpEmailTransport(_options!);
        await transport.SendAsync(message, CancellationToken.None);
    }
}
