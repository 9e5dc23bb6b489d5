using System.Net;
using NpsTriggers.Testing;

using NpsTriggers.IntegrationTests.Sms;

namespace NpsTriggers.IntegrationTests.Replies.Sms;

/// <summary>
/// Issue 18, item 6: Twilio's webhooks are deduplicated on I-Twilio-Idempotency-Token and, for inbound messages, on
/// MessageSid, so a replay — Twilio's own retry, or a captured request sent again — changes nothing.
/// </summary>
public sealed class WebhookReplayTests
{
    private const string Phone = "+447911123499";

    /// <summary>The service with SMS through a Twilio stand-in, disposed together.</summary>
    private sealed class Started(ServiceUnderTest service, TwilioStandIn twilio, Rules.RulesFile rules) : IAsyncDisposable
    {
        public ServiceUnderTest Service => service;
        public TwilioStandIn Twilio => twilio;

        public static async Task<Started> StartAsync()
        {
            var (service, twilio, rules) = await SmsTests.StartAsync();
            return new Started(service, twilio, rules);
        }

        public async ValueTask DisposeAsync()
        {
            await service.DisposeAsync();
            rules.Dispose();
            await twilio.DisposeAsync();
        }
    }

    private static async Task<string> TextAsync(TwilioStandIn twilio, ServiceUnderTest service, string body, string sid, string token)
    {
        using var response = await twilio.SendInboundAsync(new Uri(service.Host!.BaseAddress, "/twilio/inbound"), Phone, body, sid, token);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }

    private static Task<long> SuppressedAsync(ServiceUnderTest service) =>
        service.ScalarAsync<long>($"select count(*) from suppressions where channel = 'sms' and address = '{Phone}'");

    [Fact]
    public async Task Inbound_StopStartStop_ThenTheStartReplayedOutOfOrder_StaysOptedOut()
    {
        await using var started = await Started.StartAsync();
        var (service, twilio) = (started.Service, started.Twilio);

        await TextAsync(twilio, service, "STOP", "SM-stop-1", "tok-stop-1");
        (await SuppressedAsync(service)).ShouldBe(1);
        (await TextAsync(twilio, service, "START", "SM-start-2", "tok-start-2")).ShouldContain("You will receive our surveys again");
        (await SuppressedAsync(service)).ShouldBe(0);
        await TextAsync(twilio, service, "STOP", "SM-stop-3", "tok-stop-3");
        (await SuppressedAsync(service)).ShouldBe(1);

        // Twilio retries the START (same token), and someone replays the captured START with a token of their own:
        // the signed MessageSid gives both away. The later STOP stands, and no second confirmation goes out.
        (await TextAsync(twilio, service, "START", "SM-start-2", "tok-start-2")).ShouldBe("""<?xml version="1.0" encoding="utf-8"?><Response></Response>""");
        (await TextAsync(twilio, service, "START", "SM-start-2", "tok-forged")).ShouldBe("""<?xml version="1.0" encoding="utf-8"?><Response></Response>""");
        (await SuppressedAsync(service)).ShouldBe(1);
        // The first STOP replayed after all that is no change either.
        await TextAsync(twilio, service, "STOP", "SM-stop-1", "tok-stop-1");
        (await SuppressedAsync(service)).ShouldBe(1);
        // Three messages, token and MessageSid each; a replay stores nothing, not even its new token.
        (await service.ScalarAsync<long>("select count(*) from webhook_receipts")).ShouldBe(6);
    }

    [Fact]
    public async Task Inbound_AnEarlierScoreReplayed_DoesNotUndoTheLaterOne()
    {
        await using var started = await Started.StartAsync();
        var (service, twilio) = (started.Service, started.Twilio);
        await SmsTests.SendOneAsync(service, twilio, Phone);

        await TextAsync(twilio, service, "9 great", "SM-score-9", "tok-9");
        await TextAsync(twilio, service, "3 actually no", "SM-score-3", "tok-3");
        (await TextAsync(twilio, service, "9 great", "SM-score-9", "tok-replay")).ShouldBe("""<?xml version="1.0" encoding="utf-8"?><Response></Response>""");
        (await service.ScalarAsync<string>("select score || ' ' || comment || ' v' || version from responses")).ShouldBe("3 actually no v4");
    }

    [Fact]
    public async Task Status_ReplayedWithTheSameToken_IsHandledOnce()
    {
        await using var started = await Started.StartAsync();
        var (service, twilio) = (started.Service, started.Twilio);
        var sms = await SmsTests.SendOneAsync(service, twilio, Phone);
        (await twilio.SendStatusAsync(sms, "delivered", idempotencyToken: "tok-status")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var updated = await service.ScalarAsync<DateTime>("select delivery_updated_at from invitations");
        service.Clock.Advance(TimeSpan.FromMinutes(5));
        (await twilio.SendStatusAsync(sms, "delivered", idempotencyToken: "tok-status")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await service.ScalarAsync<DateTime>("select delivery_updated_at from invitations")).ShouldBe(updated);
        (await service.ScalarAsync<long>("select count(*) from webhook_receipts where key = 'token:tok-status'")).ShouldBe(1);
    }
}
