using System.Net.Http.Json;
using NpsTriggers.Core.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Rules;

/// <summary>Send-rule semantics through Kafka, PostgreSQL, Hangfire and SMTP.</summary>
public sealed class RulesEndToEndTests
{
    private sealed record Decision(string EventId, string Rule, string Outcome, string Detail, Guid? InvitationId);

    private static object Order(string orderId, string customer, double amount = 89.9, string country = "GB", string? channel = null) => new
    {
        recipient = new { customerId = customer, email = $"{customer}@example.com", name = "Anna", timeZone = "Europe/London" },
        orderId,
        product = "Trail shoes",
        amount,
        country,
        channel,
    };

    private static async Task<List<Decision>> DecisionsAsync(ServiceUnderTest service, string query) =>
        (await service.Host!.Ops.GetFromJsonAsync<List<Decision>>($"/api/decisions?{query}"))!;

    [Fact]
    public async Task Conditions_OnlyMatchingOrdersAreSurveyed_AndEachDecisionSaysWhy()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        await service.PublishAsync(
            BusinessEvents.Binary("big", "order.delivered", Order("1", "c-big"), ServiceUnderTest.Start),
            BusinessEvents.Binary("small", "order.delivered", Order("2", "c-small", amount: 12.5), ServiceUnderTest.Start),
            BusinessEvents.Binary("b2b", "order.delivered", Order("3", "c-b2b", channel: "b2b"), ServiceUnderTest.Start),
            BusinessEvents.Binary("us", "order.delivered", Order("4", "c-us", country: "US"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from decisions", 8);

        (await service.ScalarAsync<long>("select count(*) from invitations where rule = 'delivered'")).ShouldBe(1);
        var small = await DecisionsAsync(service, "customer=c-small");
        small.Single(d => d.Rule == "delivered").ShouldSatisfyAllConditions(
            d => d.Outcome.ShouldBe("not_matched"),
            d => d.Detail.ShouldBe("data.amount (12.5) is not > 20 (line 16)"));
        (await DecisionsAsync(service, "customer=c-b2b")).Single(d => d.Rule == "delivered").Detail
            .ShouldBe("not(data.channel == \"b2b\") is false (line 18)");
        (await DecisionsAsync(service, "customer=c-us")).Single(d => d.Rule == "delivered").Detail
            .ShouldBe("data.country (\"US\") is not in [\"DE\", \"AT\", \"CH\", \"GB\"] (line 17)");
        var big = await DecisionsAsync(service, "event=big");
        big.Single(d => d.Rule == "delivered").Outcome.ShouldBe("scheduled");
        big.Single(d => d.Rule == "delivered").Detail.ShouldStartWith("email: send at 2026-11-16 08:00:00Z");
        // Two rules fire for the same event: the person gets one survey, the first rule in the file.
        big.Single(d => d.Rule == "delivered-support-too").ShouldSatisfyAllConditions(
            d => d.Outcome.ShouldBe("throttled"),
            d => d.Detail.ShouldBe("rule 'delivered' already surveys this person for the same event"));
        (await service.Host!.Ops.GetAsync("/api/decisions")).StatusCode.ShouldBe(System.Net.HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Throttle_TwoEventsForOnePersonAtOnce_SendOneSurveyAndExplainTheOther()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        await service.PublishAsync(
            BusinessEvents.Binary("order-a", "order.delivered", Order("A", "c-twice"), ServiceUnderTest.Start),
            BusinessEvents.Binary("order-b", "order.delivered", Order("B", "c-twice"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 2);

        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where state in ('sent', 'suppressed')", 2);
        (await service.ScalarAsync<long>("select count(*) from invitations where state = 'sent'")).ShouldBe(1);
        (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))).Count.ShouldBe(1);
        var throttled = (await DecisionsAsync(service, "customer=c-twice")).Single(d => d.Outcome == "throttled" && d.Rule == "delivered");
        var sentId = await service.ScalarAsync<Guid>("select id from invitations where state = 'sent'");
        throttled.Detail.ShouldStartWith($"throttled by the survey 'delivery' (90 days) recontact period: invitation {sentId} (survey 'delivery') contacted this person at 2026-11-16 08:00Z; no survey until 2027-02-14 08:00Z");
    }

    [Fact]
    public async Task Sampling_IsDecidedPerPersonAndSurvey_AndStableForTheSamePerson()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        var people = Enumerable.Range(0, 40).Select(i => $"p{i}").ToList();
        object Ticket(string person) => new { recipient = new { customerId = person, email = $"{person}@example.com" }, ticketId = "T" };
        await service.PublishAsync([.. people.Select(p => BusinessEvents.Binary($"t1-{p}", "ticket.closed", Ticket(p), ServiceUnderTest.Start))]);
        await service.PublishAsync([.. people.Select(p => BusinessEvents.Binary($"t2-{p}", "ticket.closed", Ticket(p), ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from decisions where rule = 'sampled'", 80);

        var inSample = people.Where(p => Sampling.InSample("support", "c:" + p, 50)).ToHashSet();
        inSample.Count.ShouldBeInRange(10, 30); // a fair split of 40, not all or nothing
        var scheduled = await service.ScalarAsync<long>("select count(distinct customer_id) from invitations where rule = 'sampled'");
        scheduled.ShouldBe(inSample.Count);
        // Each person got the same verdict for both tickets.
        (await service.ScalarAsync<long>("select count(*) from (select customer_id from decisions where rule = 'sampled' group by customer_id having count(distinct outcome) > 1) x")).ShouldBe(0);
        var outDetail = (await DecisionsAsync(service, $"customer={people.First(p => !inSample.Contains(p))}"))[0].Detail;
        outDetail.ShouldContain("is outside the 50% sample for survey 'support'");
    }

    [Fact]
    public async Task CommitsInFlight_ALaterBatchCommitsPastAStuckOne_ButACancelWaitsForTheTriggerBeforeIt()
    {
        using var rules = new RulesFile();
        // Three in flight, so a free slot alone would let the cancel's batch start next to the stuck one.
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(("Kafka:CommitsInFlight", "3")));
        // Another transaction holds the inbox key of the trigger, so the batch carrying it cannot commit until it ends.
        await using var blocker = await service.DataSource.OpenConnectionAsync();
        await using var held = await blocker.BeginTransactionAsync();
        await using (var insert = new Npgsql.NpgsqlCommand(
            "insert into inbox (source, event_id, type, topic, partition, \"offset\", received_at) values ('/shop/orders', 'stuck', 'order.delivered', 'x', 0, 0, now())",
            blocker, held))
            await insert.ExecuteNonQueryAsync();
        await service.PublishAsync(BusinessEvents.Binary("stuck", "order.delivered", Order("S1", "c-stuck"), ServiceUnderTest.Start));
        // Its batch is committing and waits for the key: what is published from now on goes into later batches.
        await service.WaitForCountAsync("select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'", 1);

        // The next batch commits while the stuck one waits.
        await service.PublishAsync(BusinessEvents.Binary("passing", "order.delivered", Order("P1", "c-passing"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 'passing'", 1);

        // A cancel of the stuck trigger's order must not commit before that trigger does, or it would find nothing.
        using var consumed = new CounterTotal(NpsTriggers.Triggers.TriggersMetrics.MeterName, "nps.events.consumed");
        await service.PublishAsync(BusinessEvents.Binary("return", "order.returned", Order("S1", "c-stuck"), ServiceUnderTest.Start.AddDays(1)));
        await Eventually.Until(() => Task.FromResult(consumed.Value), n => n == 1, what: "the cancel read into a batch");
        // Kept on purpose: what is right here is a consumer loop that waits, and a loop that waits says nothing. From the
        // read, a batch that did not wait would commit within its batch window (20 ms) and one commit; give it a second.
        await Task.Delay(TimeSpan.FromSeconds(1));
        (await service.ScalarAsync<long>("select count(*) from inbox where event_id = 'return'")).ShouldBe(0);

        await held.RollbackAsync();
        await service.WaitForCountAsync("select count(*) from invitations where event_id = 'stuck' and state = 'cancelled'", 1);
        (await service.ScalarAsync<string>("select cancelled_by from invitations where event_id = 'stuck' and rule = 'delivered'")).ShouldBe("order.returned /shop/orders return");
        // The cancel found the trigger committed (a cancel that came first would be remembered and applied on its arrival).
        (await DecisionsAsync(service, "event=return")).ShouldHaveSingleItem().Outcome.ShouldBe("cancelled");
        (await service.ScalarAsync<string>("select state from invitations where event_id = 'passing' and rule = 'delivered'")).ShouldBe("scheduled");
    }

    [Fact]
    public async Task CancelOn_BeforeTheSendCancels_AfterTheSendStopsReminders()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        await service.PublishAsync(
            BusinessEvents.Binary("d-early", "order.delivered", Order("E1", "c-early"), ServiceUnderTest.Start),
            BusinessEvents.Binary("d-late", "order.delivered", Order("L1", "c-late"), ServiceUnderTest.Start),
            BusinessEvents.Binary("r-early", "order.returned", Order("E1", "c-early"), ServiceUnderTest.Start.AddDays(3)));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'cancelled'", 1);
        (await service.ScalarAsync<string>("select cancelled_by from invitations where state = 'cancelled'")).ShouldBe("order.returned /shop/orders r-early");
        (await DecisionsAsync(service, "event=r-early")).Single().Outcome.ShouldBe("cancelled");

        service.Clock.Advance(TimeSpan.FromDays(14));
        var sent = await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30));
        sent.Single().Subject.ShouldBe("Anna, how was order #L1?");
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent' and remind_at is not null", 1);

        await service.PublishAsync(BusinessEvents.Binary("r-late", "order.returned", Order("L1", "c-late"), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from decisions where outcome = 'reminders_stopped'", 1);
        service.Clock.Advance(TimeSpan.FromDays(8));
        await service.WaitForSweepAsync(); // past the reminder's time: a reminder would have gone out by now
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count.ShouldBe(1);
        (await service.ScalarAsync<string>("select state from invitations where event_id = 'd-early' and rule = 'delivered'")).ShouldBe("cancelled");
    }

    [Fact]
    public async Task Reminders_GoOnlyToThoseWhoHaveNotAnswered()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        await service.PublishAsync(
            BusinessEvents.Binary("quiet", "order.delivered", Order("Q1", "c-quiet"), ServiceUnderTest.Start),
            BusinessEvents.Binary("answers", "order.delivered", Order("A1", "c-answers"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'delivered'", 2);
        service.Clock.Advance(TimeSpan.FromDays(14));
        var first = await service.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(30));
        first.Count.ShouldBe(2);
        var answering = first.Single(m => m.Subject!.Contains("A1", StringComparison.Ordinal));
        var link = Pipeline.EndToEndTests.ScoreLinks(answering, service.Host!.BaseAddress)[8];
        (await Pipeline.ScoreClicks.ClickAsync(service.Host.Http, link)).EnsureSuccessStatusCode();

        service.Clock.Advance(TimeSpan.FromDays(7));
        var all = await service.Smtp.WaitForMessagesAsync(3, TimeSpan.FromSeconds(30));
        await service.WaitForSweepAsync(); // a reminder to the one who answered would have gone out by now
        all = await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero);
        all.Count.ShouldBe(3);
        var reminder = all[2];
        reminder.Subject.ShouldBe("Reminder: Anna, how was order #Q1?");
        reminder.MessageId.ShouldEndWith(".r1@nps.acme.test");
        (await service.ScalarAsync<int>("select reminders_sent from invitations where event_id = 'quiet' and rule = 'delivered'")).ShouldBe(1);

        service.Clock.Advance(TimeSpan.FromDays(8)); // count: 1 — no second reminder
        await service.WaitForSweepAsync();
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count.ShouldBe(3);
    }

    [Fact]
    public async Task Window_SaturdayEvent_IsDueMondayMorningInTheRecipientsZone()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        var saturday = new DateTimeOffset(2026, 11, 7, 15, 0, 0, TimeSpan.Zero);
        await service.PublishAsync(BusinessEvents.Binary("collected", "order.collected", Order("W1", "c-window"), saturday));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        // The recipient is in Europe/London (the event's zone beats the rule's Europe/Berlin default).
        (await service.ScalarAsync<DateTime>("select due_at from invitations")).ShouldBe(new DateTime(2026, 11, 9, 9, 0, 0, DateTimeKind.Utc));
        (await DecisionsAsync(service, "event=collected")).Single().Detail
            .ShouldBe("email: send at 2026-11-09 09:00:00Z (2026-11-09 09:00 Europe/London); due 2026-11-07 15:00:00Z = event time + 0s, moved into window Mon,Tue,Wed,Thu 09:00-11:30");
    }

    [Fact]
    public async Task Window_RetryComingDueAfterTheWindowCloses_WaitsForTheNextOpening()
    {
        using var rules = new RulesFile();
        // Three SMTP refusals outlast the quick retries, so the first attempt backs off.
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(), smtpTempFailFirst: 3);
        await service.PublishAsync(BusinessEvents.Binary("late", "order.collected", Order("W2", "c-late"), new DateTimeOffset(2026, 11, 7, 15, 0, 0, TimeSpan.Zero)));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        service.Clock.Advance(new DateTimeOffset(2026, 11, 9, 9, 0, 0, TimeSpan.Zero) - service.Clock.GetUtcNow()); // Monday 09:00 London
        await service.WaitForCountAsync("select count(*) from invitations where state = 'scheduled' and attempts = 1", 1);

        // The retry is due at once, but the window (Mon-Thu 09:00-11:30) closed while the provider was down.
        service.Clock.Advance(new DateTimeOffset(2026, 11, 9, 11, 40, 0, TimeSpan.Zero) - service.Clock.GetUtcNow());
        await service.WaitForCountAsync("select count(*) from invitations where failure_reason like 'outside the send window%'", 1);
        (await service.ScalarAsync<DateTime>("select due_at from invitations")).ShouldBe(new DateTime(2026, 11, 10, 9, 0, 0, DateTimeKind.Utc));
        (await service.ScalarAsync<string>("select state || '/' || attempts from invitations")).ShouldBe("scheduled/1");
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).ShouldBeEmpty();

        service.Clock.Advance(new DateTimeOffset(2026, 11, 10, 9, 0, 0, TimeSpan.Zero) - service.Clock.GetUtcNow());
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        (await service.ScalarAsync<DateTime>("select sent_at from invitations")).ShouldBe(new DateTime(2026, 11, 10, 9, 0, 0, DateTimeKind.Utc));
    }

    [Fact]
    public async Task HotReload_ValidEditAppliesToNewEvents_InvalidEditKeepsTheLastGoodRules()
    {
        using var rules = new RulesFile();
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        var provider = (RulesProvider)service.Host!.Services.GetService(typeof(RulesProvider))!;

        await File.WriteAllTextAsync(rules.Path, RulesFile.Standard.Replace("delay: 1h", "delay: 2h", StringComparison.Ordinal));
        await Eventually.Until(() => Task.FromResult(provider.Current.Rules.Single(r => r.Name == "sampled").Delay), d => d == TimeSpan.FromHours(2), what: "reload");

        await File.WriteAllTextAsync(rules.Path, RulesFile.Standard.Replace("delay: 14d", "delay: soon", StringComparison.Ordinal));
        await Eventually.Until(() => Task.FromResult(provider.Degraded), d => d, what: "rejected edit");
        provider.Errors.ShouldContain(e => e.Contains("rule 'delivered' field 'delay': 'soon' is not a duration", StringComparison.Ordinal));
        provider.Current.Rules.Single(r => r.Name == "sampled").Delay.ShouldBe(TimeSpan.FromHours(2));
        var health = await service.Host.Http.GetStringAsync("/healthz/ready");
        health.ShouldContain("\"status\":\"Degraded\"");
        health.ShouldContain("'soon' is not a duration");

        await service.PublishAsync(BusinessEvents.Binary("after-edit", "order.delivered", Order("H1", "c-hot"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        (await service.ScalarAsync<DateTime>("select due_at from invitations")).ShouldBe(ServiceUnderTest.Start.AddDays(14).UtcDateTime);

        await File.WriteAllTextAsync(rules.Path, RulesFile.Standard);
        await Eventually.Until(() => Task.FromResult(provider.Degraded), d => !d, what: "recovered");
        (await service.Host.Http.GetStringAsync("/healthz/ready")).ShouldStartWith("{\"status\":\"Healthy\"");
    }
}
