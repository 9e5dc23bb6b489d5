using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NpsTriggers.Dispatch.Sms;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Sms;

/// <summary>The Twilio client and its resilience pipeline against the stand-in.</summary>
public sealed class TwilioClientTests
{
    private static ServiceProvider Services(TwilioStandIn twilio)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Twilio:AccountSid"] = TwilioStandIn.AccountSid, ["Twilio:AuthToken"] = TwilioStandIn.AuthToken,
            ["Twilio:From"] = TwilioStandIn.From, ["Twilio:BaseAddress"] = twilio.BaseAddress.ToString(),
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
}
