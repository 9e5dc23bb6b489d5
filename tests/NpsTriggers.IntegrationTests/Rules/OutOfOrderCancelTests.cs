using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using NpsTriggers.IntegrationTests.Dispatch;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Rules;

/// <summary>
/// A cancelling event (<c>cancelOn</c>) can arrive before its trigger: on another partition, through the HTTP API while
/// the trigger comes by Kafka, or the other way round. It is remembered for the rule's cancel horizon, so the trigger is
/// recorded as cancelled whenever it comes, and one being sent when the cancel lands gets no reminder.
/// </summary>
public sealed class OutOfOrderCancelTests
{
    private const string EventsKey = "events-key-0123456789-abcdefghijklmnop";

    private static object Order(string orderId, string customer) => new
    {
        recipient = new { customerId = customer, email = $"{customer}@example.com", name = "Anna", timeZone = "Europe/London" },
        orderId,
        product = "Trail shoes",
        amount = 89.9,
        country = "GB",
    };

    private static Dictionary<string, string?> Settings(RulesFile rules, params (string Key, string? Value)[] more) =>
        rules.Settings([("Roles", "triggers,dispatch,ingest"), ("EventsApi:ApiKeys:0", EventsKey), .. more]);

    private static async Task PostAsync(ServiceUnderTest service, string id, string type, object data)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["specversion"] = "1.0", ["id"] = id, ["source"] = "/kiosk", ["type"] = type, ["time"] = ServiceUnderTest.Start, ["data"] = data,
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/cloudevents+json");
        request.Headers.Add("X-Api-Key", EventsKey);
        (await service.Host!.Http.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    private static Task<string> DecisionAsync(ServiceUnderTest service, string eventId, string rule = "delivered") =>
        service.ScalarAsync<string>("select outcome || ': ' || detail from decisions where event_id = @e and rule = @r", ("e", eventId), ("r", rule));

    [Fact]
    public async Task Cancel_BeforeItsTriggerOnAnotherPartition_CancelsTheTriggerOnArrival_NamingTheCancel()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(Settings(rules));
        await BusinessEvents.ProduceToAsync(service.Kafka.BootstrapServers, 2,
            BusinessEvents.Binary("returned-first", "order.returned", Order("X1", "c-x"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from remembered_cancels", 1);
        await BusinessEvents.ProduceToAsync(service.Kafka.BootstrapServers, 0,
            BusinessEvents.Binary("delivered-after", "order.delivered", Order("X1", "c-x"), ServiceUnderTest.Start),
            BusinessEvents.Binary("delivered-other", "order.delivered", Order("Y1", "c-y"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'delivered'", 2);

        (await service.ScalarAsync<string>("select state || ' by ' || cancelled_by from invitations where event_id = 'delivered-after' and rule = 'delivered'"))
            .ShouldBe("cancelled by order.returned /shop/orders returned-first");
        (await DecisionAsync(service, "delivered-after")).ShouldStartWith(
            "cancelled: cancelled on arrival: order.returned /shop/orders returned-first came before it; it would have been email: send at 2026-11-16 08:00:00Z");

        // Fourteen days on only the other order's survey goes out.
        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).ShouldHaveSingleItem().Subject.ShouldBe("Anna, how was order #Y1?");
        (await service.ScalarAsync<string>("select event_id from invitations where state = 'sent'")).ShouldBe("delivered-other");
    }

    [Fact]
    public async Task Cancel_ThroughHttpBeforeItsKafkaTrigger_AndThroughKafkaBeforeItsHttpTrigger_BothCancel()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(Settings(rules));
        await PostAsync(service, "http-return", "order.returned", Order("H1", "c-h"));
        await service.PublishAsync(BusinessEvents.Binary("kafka-delivered", "order.delivered", Order("H1", "c-h"), ServiceUnderTest.Start));
        await service.PublishAsync(BusinessEvents.Binary("kafka-return", "order.returned", Order("K1", "c-k"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from remembered_cancels", 2);
        await PostAsync(service, "http-delivered", "order.delivered", Order("K1", "c-k"));
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'delivered'", 2);

        (await service.ScalarAsync<string>("select cancelled_by from invitations where event_id = 'kafka-delivered' and rule = 'delivered'"))
            .ShouldBe("order.returned /kiosk http-return");
        (await service.ScalarAsync<string>("select cancelled_by from invitations where event_id = 'http-delivered' and rule = 'delivered'"))
            .ShouldBe("order.returned /shop/orders kafka-return");
        (await service.ScalarAsync<long>("select count(*) from invitations where rule = 'delivered' and state <> 'cancelled'")).ShouldBe(0);
        (await DecisionAsync(service, "http-delivered")).ShouldStartWith("cancelled: cancelled on arrival: order.returned /shop/orders kafka-return came before it");
    }

    [Fact]
    public async Task Cancel_LandingWhileTheProviderTakesTheSurvey_LeavesItWithoutAReminder()
    {
        using var rules = new RulesFile();
        // The SMTP server stores the message, then takes 3 s to say so: the cancel lands inside that provider call.
        await using var service = await ServiceUnderTest.StartAsync(Settings(rules, ("Dispatch:SweepCron", ManualDispatch.NeverCron)), smtpAcceptDelayMs: 3000);
        await service.PublishAsync(BusinessEvents.Binary("in-flight", "order.delivered", Order("F1", "c-f"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'delivered'", 1);
        service.Clock.Advance(TimeSpan.FromDays(14));
        var job = (await ManualDispatch.ClaimAsync(service)).ShouldHaveSingleItem();
        var sending = ManualDispatch.RunAsync(service.Host!, job.Claim, job.Ids);
        (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).Count.ShouldBe(1);

        await service.PublishAsync(BusinessEvents.Binary("returned-meanwhile", "order.returned", Order("F1", "c-f"), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from decisions where outcome = 'reminders_stopped'", 1);
        (await DecisionAsync(service, "returned-meanwhile")).ShouldStartWith("reminders_stopped: sending invitation");
        await sending;

        (await service.ScalarAsync<string>("select state || ' ' || reminders_left || ' ' || coalesce(remind_at::text, 'no reminder') from invitations where rule = 'delivered'"))
            .ShouldBe("sent 0 no reminder");
        service.Clock.Advance(TimeSpan.FromDays(8));
        (await ManualDispatch.ClaimAsync<NpsTriggers.Dispatch.Scheduling.SendRemindersJob>(service)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Cancel_LandingAfterTheClaimBeforeTheProviderCall_SendsNothing()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(Settings(rules, ("Dispatch:SweepCron", ManualDispatch.NeverCron)));
        await service.PublishAsync(BusinessEvents.Binary("claimed", "order.delivered", Order("G1", "c-g"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'delivered'", 1);
        service.Clock.Advance(TimeSpan.FromDays(14));
        var job = (await ManualDispatch.ClaimAsync(service)).ShouldHaveSingleItem();
        await service.PublishAsync(BusinessEvents.Binary("returned-before-send", "order.returned", Order("G1", "c-g"), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from decisions where outcome = 'reminders_stopped'", 1);

        await ManualDispatch.RunAsync(service.Host!, job.Claim, job.Ids);
        (await service.ScalarAsync<string>("select state from invitations where rule = 'delivered'")).ShouldBe("cancelled");
        (await service.ScalarAsync<string>("select detail from decisions where event_id = 'claimed' and outcome = 'cancelled'"))
            .ShouldEndWith("cancelled at send time by order.returned /shop/orders returned-before-send");
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).ShouldBeEmpty();
    }

    /// <summary>
    /// The race the intake cannot see: a trigger and its cancel committed at the same moment by two consumers (or the
    /// HTTP API), neither seeing the other's rows. The test writes the remembered cancel right after the trigger's
    /// commit, as the other transaction would; the send job finds it and cancels instead of sending.
    /// </summary>
    [Fact]
    public async Task RememberedCancel_TheTriggersIntakeDidNotSee_CancelsAtSendTime()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(Settings(rules));
        await service.PublishAsync(
            BusinessEvents.Binary("raced", "order.delivered", Order("R1", "c-r"), ServiceUnderTest.Start),
            BusinessEvents.Binary("control", "order.delivered", Order("C1", "c-c"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'delivered' and state = 'scheduled'", 2);
        await using (var insert = service.DataSource.CreateCommand("""
            insert into remembered_cancels (rule, correlation, cancelled_by, remembered_at, expires_at)
            values ('delivered', 'R1', 'order.returned /shop/orders concurrent', @now, @now + interval '30 days')
            """))
        {
            insert.Parameters.AddWithValue("now", ServiceUnderTest.Start);
            await insert.ExecuteNonQueryAsync();
        }

        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'delivered' and state in ('sent', 'cancelled')", 2);
        (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).ShouldHaveSingleItem().Subject.ShouldBe("Anna, how was order #C1?");
        (await service.ScalarAsync<string>("select state from invitations where event_id = 'raced' and rule = 'delivered'")).ShouldBe("cancelled");
        (await service.ScalarAsync<string>("select detail from decisions where event_id = 'raced' and outcome = 'cancelled'"))
            .ShouldEndWith("cancelled at send time by order.returned /shop/orders concurrent");
    }

    [Fact]
    public async Task RememberedCancel_PastTheRulesCancelHorizon_IsForgotten_AndALaterTriggerIsSurveyed()
    {
        using var rules = new RulesFile(RulesFile.Standard.Replace(
            "reminders: { count: 1, after: 7d }", "cancelHorizon: 2h\n    reminders: { count: 1, after: 7d }", StringComparison.Ordinal));
        await using var service = await ServiceUnderTest.StartAsync(Settings(rules));
        await service.PublishAsync(BusinessEvents.Binary("early-return", "order.returned", Order("Z1", "c-z"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from remembered_cancels", 1);
        (await service.ScalarAsync<DateTime>("select expires_at from remembered_cancels")).ShouldBe(ServiceUnderTest.Start.AddHours(2).UtcDateTime);

        service.Clock.Advance(TimeSpan.FromHours(3));
        await Eventually.Until(() => service.ScalarAsync<long>("select count(*) from remembered_cancels"), n => n == 0, what: "the sweep forgets the cancel");
        await service.PublishAsync(BusinessEvents.Binary("late-delivery", "order.delivered", Order("Z1", "c-z"), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'delivered'", 1);
        (await service.ScalarAsync<string>("select state from invitations where rule = 'delivered'")).ShouldBe("scheduled");
    }
}
