using System.Net;
using System.Text.Json;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Sms;

/// <summary>The SMS channel against the Twilio stand-in: sending, delivery status, replies, opt-outs, provider errors.</summary>
public sealed class SmsTests
{
    internal const string Yaml = """
        version: 1
        throttle: { global: 1h, survey: 1h }
        surveys:
          support:
            subject: 'Hi {{ recipient.name }},'
            question: how likely are you to recommend Acme support?
            why: What is the main reason for your score?
        rules:
          - { name: ticket-sms, on: ticket.closed, survey: support, channel: sms, delay: 1h, reminders: { count: 0 } }
        """;

    private static object Ticket(string phone, string ticket = "T-1") =>
        new { recipient = new { customerId = "c-" + ticket, phone, name = "Bo", locale = "en-GB" }, ticketId = ticket };

    /// <summary>The service sending SMS to a fresh Twilio stand-in; <paramref name="more"/> settings win over these.</summary>
    internal static async Task<(ServiceUnderTest, TwilioStandIn, RulesFile)> StartAsync(params (string Key, string? Value)[] more)
    {
        var twilio = await TwilioStandIn.StartAsync();
        var rules = new RulesFile(Yaml);
        var service = await ServiceUnderTest.StartAsync(rules.Settings([
            .. twilio.Settings,
            ("RateLimits:QueueOverflowPause", "00:00:02"), .. more]));
        return (service, twilio, rules);
    }

    internal static async Task<TwilioStandIn.Message> SendOneAsync(ServiceUnderTest service, TwilioStandIn twilio, string phone, string ticket = "T-1")
    {
        await service.PublishAsync(BusinessEvents.Structured($"closed-{ticket}", "ticket.closed", Ticket(phone, ticket), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync($"select count(*) from invitations where event_id = 'closed-{ticket}'", 1);
        service.Clock.Advance(TimeSpan.FromHours(1));
        try
        {
            await service.WaitForCountAsync($"select count(*) from invitations where event_id = 'closed-{ticket}' and state <> 'scheduled' and state <> 'sending'", 1);
        }
        catch (TimeoutException e)
        {
            var reason = await service.ScalarAsync<string>($"select coalesce(failure_reason, state) from invitations where event_id = 'closed-{ticket}'");
            throw new TimeoutException($"{e.Message}; the invitation says: {reason}", e);
        }
        return twilio.Messages.LastOrDefault() ?? throw new InvalidOperationException(
            "No SMS sent; the invitation says: " + await service.ScalarAsync<string>(
                $"select concat_ws(' ', state, failure_reason) from invitations where event_id = 'closed-{ticket}'"));
    }

    private static async Task<string> ReplyAsync(ServiceUnderTest service, TwilioStandIn twilio, string from, string body)
    {
        var response = await twilio.SendInboundAsync(new Uri(service.Host!.BaseAddress, "/twilio/inbound"), from, body);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/xml");
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task SmsSurvey_SentTrackedAndAnsweredByReply()
    {
        var (service, twilio, rules) = await StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;
        var sms = await SendOneAsync(service, twilio, "+4915112345678");
        sms.To.ShouldBe("+4915112345678");
        sms.Body.ShouldBe("Hi Bo, how likely are you to recommend Acme support? Reply with a number from 0 (Not at all likely) to 10 (Extremely likely). Reply STOP to opt out.");
        var invitationId = await service.ScalarAsync<string>("select replace(id::text, '-', '') from invitations");
        sms.StatusCallback.ShouldBe($"{service.Host!.BaseAddress}twilio/status?invitation={invitationId}");
        (await service.ScalarAsync<string>("select message_id from invitations")).ShouldBe(sms.Sid);

        // Callbacks arrive out of order and are retried: the status only moves forward.
        (await twilio.SendStatusAsync(sms, "delivered")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await twilio.SendStatusAsync(sms, "sent")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await twilio.SendStatusAsync(sms, "delivered")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await service.ScalarAsync<string>("select delivery_status from invitations")).ShouldBe("delivered");
        var forged = await twilio.PostSignedAsync(new Uri(sms.StatusCallback!), new() { ["MessageSid"] = sms.Sid, ["MessageStatus"] = "failed" }, signature: "bm90LWEtc2lnbmF0dXJl");
        forged.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await service.ScalarAsync<string>("select delivery_status from invitations")).ShouldBe("delivered");

        (await ReplyAsync(service, twilio, "+4915112345678", "9")).ShouldBe(
            """<?xml version="1.0" encoding="utf-8"?><Response><Message>Thank you! What is the main reason for your score?</Message></Response>""");
        (await ReplyAsync(service, twilio, "+4915112345678", "great courier")).ShouldContain("Thank you for your feedback!");
        (await service.ScalarAsync<int>("select score from responses")).ShouldBe(9);
        (await service.ScalarAsync<string>("select comment from responses")).ShouldBe("great courier");
        (await service.ScalarAsync<string>("select channel from responses")).ShouldBe("sms");

        (await ReplyAsync(service, twilio, "+4915112345678", "6, too slow")).ShouldContain("Thank you for your feedback!");
        (await service.ScalarAsync<int>("select score from responses")).ShouldBe(6);
        (await service.ScalarAsync<string>("select comment from responses")).ShouldBe("too slow");
        // Each change (score 9, its comment, score 6, its comment) is one response event, written with the change.
        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(4);
        (await ReplyAsync(service, twilio, "+4915112345678", "what is this?")).ShouldContain("Reply with a number from 0 to 10");
        using var nps = JsonDocument.Parse(await service.Host.Ops.GetStringAsync("/api/nps"));
        nps.RootElement.GetProperty("detractors").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task Stop_OptsTheNumberOut_AndStartOptsItBackIn()
    {
        var (service, twilio, rules) = await StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;
        await SendOneAsync(service, twilio, "+447911123456", "T-1");
        (await ReplyAsync(service, twilio, "+447911123456", "STOP")).ShouldBe("""<?xml version="1.0" encoding="utf-8"?><Response></Response>""");
        (await service.ScalarAsync<string>("select reason from suppressions where channel = 'sms' and address = '+447911123456'")).ShouldBe("replied STOP");

        service.Clock.Advance(TimeSpan.FromHours(2));
        await SendOneAsync(service, twilio, "+447911123456", "T-2");
        (await service.ScalarAsync<string>("select failure_reason from invitations where event_id = 'closed-T-2'")).ShouldBe("sms address is on the suppression list: replied STOP, since 2026-11-02 09:00Z");
        twilio.Messages.Count.ShouldBe(1);

        (await ReplyAsync(service, twilio, "+447911123456", "start")).ShouldContain("You will receive our surveys again");
        (await service.ScalarAsync<long>("select count(*) from suppressions")).ShouldBe(0);
    }

    [Fact]
    public async Task ProviderErrors_429IsRetried_21610Suppresses_InvalidNumberFailsWithoutACall()
    {
        var (service, twilio, rules) = await StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;
        twilio.FailNext(429, 20429, "Too Many Requests", retryAfterSeconds: 1);
        await SendOneAsync(service, twilio, "+4915112345678", "T-429");
        (await service.ScalarAsync<string>("select state from invitations where event_id = 'closed-T-429'")).ShouldBe("sent");
        twilio.Messages.Count.ShouldBe(1);
        twilio.Requests.ShouldBe(2);

        twilio.Unsubscribed.Add("+4915199999999");
        await SendOneAsync(service, twilio, "+4915199999999", "T-21610");
        (await service.ScalarAsync<string>("select failure_reason from invitations where event_id = 'closed-T-21610'")).ShouldBe("Twilio 400 error 21610: Attempt to send to unsubscribed recipient");
        (await service.ScalarAsync<long>("select count(*) from suppressions where address = '+4915199999999'")).ShouldBe(1);

        var requests = twilio.Requests;
        await SendOneAsync(service, twilio, "+4900000", "T-bad");
        (await service.ScalarAsync<string>("select state from invitations where event_id = 'closed-T-bad'")).ShouldBe("failed");
        (await service.ScalarAsync<string>("select failure_reason from invitations where event_id = 'closed-T-bad'")).ShouldBe("'+4900000' is not a valid phone number");
        twilio.Requests.ShouldBe(requests);
    }

    [Fact]
    public async Task QueueOverflow21611_PausesTheSenderForEveryReplica_AndDefersWithoutSpendingAnAttempt()
    {
        var (service, twilio, rules) = await StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;
        twilio.FailNext(400, 21611, "This 'From' number has exceeded the maximum number of queued messages");
        await service.PublishAsync(BusinessEvents.Structured("closed-Q-1", "ticket.closed", Ticket("+4915112345678", "Q-1"), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        service.Clock.Advance(TimeSpan.FromHours(1));

        await service.WaitForCountAsync("select count(*) from invitations where state = 'scheduled' and failure_reason like '%error 21611%'", 1);
        (await service.ScalarAsync<int>("select attempts from invitations")).ShouldBe(0);
        // The sender's shared bucket is in debt: no replica sends from this number until the pause has passed.
        (await service.ScalarAsync<double>("select tokens from rate_limits where name = @name", ("name", $"sms:{TwilioStandIn.From}"))).ShouldBeLessThan(0);
        twilio.Messages.ShouldBeEmpty();

        service.Clock.Advance(TimeSpan.FromSeconds(3));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        twilio.Messages.Count.ShouldBe(1);
        (await service.ScalarAsync<int>("select attempts from invitations")).ShouldBe(1);
    }

    [Fact]
    public async Task QueueOverflow21611_InABatch_TheTokensAlreadyDrawnAreNotSpentDuringThePause()
    {
        // A burst of 10: one draw gives the job a token for each of its five texts.
        var (service, twilio, rules) = await StartAsync(
            ("RateLimits:Sms:PerSecond", "5"), ("RateLimits:Sms:Burst", "10"), ("RateLimits:QueueOverflowPause", "00:00:03"));
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;
        twilio.FailNext(400, 21611, "This 'From' number has exceeded the maximum number of queued messages");
        await service.PublishAsync([.. Enumerable.Range(0, 5).Select(i =>
            BusinessEvents.Structured($"closed-B-{i}", "ticket.closed", Ticket($"+49151123456{i:D2}", $"B-{i}"), service.Clock.GetUtcNow()))]);
        await service.WaitForCountAsync("select count(*) from invitations", 5);
        service.Clock.Advance(TimeSpan.FromHours(1));

        await service.WaitForCountAsync("select count(*) from invitations where failure_reason like '%error 21611%'", 1);
        twilio.Requests.ShouldBe(1);
        twilio.Messages.ShouldBeEmpty();
        // After the pause, the other four go out (the deferred one is due again later, on the service's clock)…
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 4, TimeSpan.FromSeconds(30));
        twilio.Messages.Count.ShouldBe(4);
        twilio.Requests.ShouldBe(5);
        // …and none within it: nothing was sent with the four tokens the job still held when the refusal came.
        twilio.Messages.ShouldAllBe(m => System.Diagnostics.Stopwatch.GetElapsedTime(twilio.LastFailedAt, m.AcceptedAt) >= TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task QueueOverflow30001Callback_SendsTheSurveyAgainOnce_AndStaleCallbacksChangeNothing()
    {
        var (service, twilio, rules) = await StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;
        var first = await SendOneAsync(service, twilio, "+4915112345678");

        // The message sat in Twilio's queue until it expired: it never reached the person.
        (await twilio.SendStatusAsync(first, "queued")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await twilio.SendStatusAsync(first, "failed", "30001")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await service.ScalarAsync<string>("select state from invitations")).ShouldBe("scheduled");
        (await service.ScalarAsync<string>("select failure_reason from invitations")).ShouldContain("30001");
        (await twilio.SendStatusAsync(first, "failed", "30001")).StatusCode.ShouldBe(HttpStatusCode.OK); // Twilio retries callbacks

        service.Clock.Advance(TimeSpan.FromMinutes(15));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        await service.WaitForSweepAsync(); // a third text would have gone out by now
        twilio.Messages.Count.ShouldBe(2);
        var second = twilio.Messages.Last();
        second.Sid.ShouldNotBe(first.Sid);
        second.To.ShouldBe(first.To);
        (await service.ScalarAsync<string>("select message_id from invitations")).ShouldBe(second.Sid);

        // The new message's callbacks count from the start again; the old message's late callbacks match nothing.
        (await twilio.SendStatusAsync(second, "sent")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await twilio.SendStatusAsync(first, "failed", "30001")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await service.ScalarAsync<string>("select state || '/' || delivery_status from invitations")).ShouldBe("sent/sent");
    }
}
