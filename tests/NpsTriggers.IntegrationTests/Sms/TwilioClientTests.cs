using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NpsTriggers.Dispatch.Sms;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Sms;

/// <summary>The Twilio client (the Twilio SDK over our HttpClient) and its resilience pipeline against the stand-in.</summary>
public sealed class TwilioClientTests
{
    private static ServiceProvider Services(TwilioStandIn twilio) => Services(twilio.BaseAddress);

    private static ServiceProvider Services(Uri baseAddress, string? messagingService = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Twilio:AccountSid"] = TwilioStandIn.AccountSid, ["Twilio:AuthToken"] = TwilioStandIn.AuthToken,
            ["Twilio:From"] = messagingService is null ? TwilioStandIn.From : null, ["Twilio:MessagingServiceSid"] = messagingService,
            ["Twilio:BaseAddress"] = baseAddress.ToString(),
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSms();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task SendAsync_TooManyRequests_IsRetriedAfterRetryAfterAndSentOnce()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        await using var services = Services(twilio);
        twilio.FailNext(429, 20429, "Too Many Requests", retryAfterSeconds: 1);
        var sent = await services.GetRequiredService<TwilioClient>().SendAsync("+4915112345678", "hello", null, CancellationToken.None);
        sent.Status.ShouldBe("queued");
        twilio.Requests.ShouldBe(2);
        twilio.Messages.ShouldHaveSingleItem().Sid.ShouldBe(sent.Sid);
    }

    [Theory]
    [InlineData(400, 21211, true)]
    [InlineData(400, 21610, true)]
    [InlineData(500, 20500, false)]
    [InlineData(503, 30001, false)]
    public async Task SendAsync_TwilioError_IsClassified(int status, int code, bool permanent)
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        await using var services = Services(twilio);
        twilio.FailNext(status, code, "scripted");
        var error = await Should.ThrowAsync<SmsSendException>(() =>
            services.GetRequiredService<TwilioClient>().SendAsync("+4915112345678", "hello", null, CancellationToken.None));
        error.Permanent.ShouldBe(permanent);
        error.Code.ShouldBe(code);
        error.Reason.ShouldBe($"Twilio {status} error {code}: scripted");
        twilio.Requests.ShouldBe(1); // a 5xx may hide an accepted message: never retried blindly
    }

    [Fact]
    public async Task SendAsync_WrongCredentials_IsTransientAndNamesTheCode()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Twilio:AccountSid"] = TwilioStandIn.AccountSid, ["Twilio:AuthToken"] = "wrong",
            ["Twilio:From"] = TwilioStandIn.From, ["Twilio:BaseAddress"] = twilio.BaseAddress.ToString(),
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddSms().BuildServiceProvider();
        await using var _ = services;
        var error = await Should.ThrowAsync<SmsSendException>(() =>
            services.GetRequiredService<TwilioClient>().SendAsync("+4915112345678", "hello", null, CancellationToken.None));
        error.Code.ShouldBe(20003);
        error.Permanent.ShouldBeFalse();
    }

    [Fact]
    public async Task SendAsync_TheSdksRequest_IsAcceptedByTheStandInWithEveryField()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        await using var services = Services(twilio);
        var callback = new Uri("https://nps.example.com/twilio/status?invitation=0123456789abcdef0123456789abcdef");
        var sent = await services.GetRequiredService<TwilioClient>().SendAsync("+4915112345678", "Wie war's? Antworten Sie 0–10 😀", callback, CancellationToken.None);
        // The stand-in checked basic auth, the account in the path and the required form fields before accepting.
        var message = twilio.Messages.ShouldHaveSingleItem();
        message.Sid.ShouldBe(sent.Sid);
        message.To.ShouldBe("+4915112345678");
        message.From.ShouldBe(TwilioStandIn.From);
        message.MessagingServiceSid.ShouldBeNull();
        message.Body.ShouldBe("Wie war's? Antworten Sie 0–10 😀");
        message.StatusCallback.ShouldBe(callback.ToString());
        sent.Status.ShouldBe("queued");
    }

    [Fact]
    public async Task SendAsync_WithAMessagingService_SendsItsSidInsteadOfFrom()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        await using var services = Services(twilio.BaseAddress, messagingService: "MG00000000000000000000000000000001");
        var sent = await services.GetRequiredService<TwilioClient>().SendAsync("+4915112345678", "hello", null, CancellationToken.None);
        var message = twilio.Messages.ShouldHaveSingleItem();
        message.MessagingServiceSid.ShouldBe("MG00000000000000000000000000000001");
        message.From.ShouldBeNull();
        message.StatusCallback.ShouldBeNull();
        sent.Status.ShouldBe("accepted");
    }

    [Theory]
    [InlineData(502, false)]
    [InlineData(404, true)]
    public async Task SendAsync_AnErrorPageFromInFrontOfTwilio_FailsWithItsStatusAndText(int status, bool permanent)
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        await using var services = Services(twilio);
        twilio.FailNextWithPage(status, "<html><body><h1>Gateway says no</h1></body></html>");
        var error = await Should.ThrowAsync<SmsSendException>(() =>
            services.GetRequiredService<TwilioClient>().SendAsync("+4915112345678", "hello", null, CancellationToken.None));
        error.Reason.ShouldBe($"Twilio {status} (not Twilio's error body): <html><body><h1>Gateway says no</h1></body></html>");
        error.Permanent.ShouldBe(permanent);
        error.Code.ShouldBeNull();
        twilio.Requests.ShouldBe(1);
    }

    [Fact]
    public async Task SendAsync_ConnectionRefused_IsRetriedThenATransientFailure()
    {
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now
        await using var services = Services(new Uri($"http://127.0.0.1:{port}"));
        var error = await Should.ThrowAsync<SmsSendException>(() =>
            services.GetRequiredService<TwilioClient>().SendAsync("+4915112345678", "hello", null, CancellationToken.None));
        error.Permanent.ShouldBeFalse();
        error.Reason.ShouldStartWith("Twilio unreachable: Connection refused");
    }

    [Fact]
    public async Task SendAsync_CancelledWhileTwilioIsSilent_StopsAtOnceWithoutAFailure()
    {
        // A server that accepts connections and never answers: only the caller's token can end the call early.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        await using var services = Services(new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}"));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Should.ThrowAsync<OperationCanceledException>(() =>
            services.GetRequiredService<TwilioClient>().SendAsync("+4915112345678", "hello", null, cancellation.Token));
        // Well before the pipeline's own 10 s attempt timeout.
        System.Diagnostics.Stopwatch.GetElapsedTime(started).ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }
}
