using Microsoft.Extensions.Options;
using NpsTriggers.Core.Sms;
using NpsTriggers.Dispatch.Sms;
using NpsTriggers.Testing;

namespace NpsTriggers.Bench;

/// <summary>
/// The naive design: one Hangfire job per SMS, on a minimal Hangfire.PostgreSql server (8 workers, the same storage
/// options as the service), each job sending one message with the service's own <see cref="TwilioClient"/> over a
/// shared HttpClient. The jobs only send: no invitation reads, no recontact check, no state transitions, so the
/// baseline does less per message than the service does.
/// </summary>
public static class NaiveSmsBaseline
{
    private const string Body = "Hi Bo, how likely are you to recommend Acme support to a friend or colleague? Reply with a number from 0 (Not at all likely) to 10 (Extremely likely). Reply STOP to opt out.";
    private static TwilioClient? _client;

    public static async Task<double> RunAsync(int count)
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        var options = new TwilioOptions
        {
            AccountSid = TwilioStandIn.AccountSid, AuthToken = TwilioStandIn.AuthToken, From = TwilioStandIn.From, BaseAddress = twilio.BaseAddress,
        };
        // The Twilio SDK addresses api.twilio.com; the service's bridge handler sends it to the stand-in.
        using var http = new HttpClient(new TwilioSdkBridge(options) { InnerHandler = new SocketsHttpHandler() });
        _client = new TwilioClient(http, Options.Create(options));
        var storage = NaiveHangfire.Storage(await PostgresServer.Shared.CreateDatabaseAsync("naive"));
        NaiveHangfire.Enqueue(storage, count, i => () => SendAsync(DueInvitations.Phone(i)));
        using (var server = NaiveHangfire.Server(storage))
        {
            await SmsDispatchBenchmark.WaitForAsync(twilio, count, TimeSpan.FromMinutes(10));
            server.SendStop();
        }
        var rate = SmsDispatchBenchmark.Read(twilio).Rate;
        Console.WriteLine($"  naive: {rate:N0} sends/s first to last message (one Hangfire job per SMS, 8 workers)");
        return rate;
    }

    /// <summary>The job: one SMS. Public and static so Hangfire can serialise and invoke it.</summary>
    public static async Task SendAsync(string to)
    {
        await _client!.SendAsync(to, Body, statusCallback: null, CancellationToken.None);
    }
}
