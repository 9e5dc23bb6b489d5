using System.Net;
using MimeKit;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Rules;

/// <summary>
/// Reminders end to end (docs/RULES.md, "Reminders inside a send window, across DST"): two reminders <c>after</c> each
/// other, each that falls due at night in the recipient's zone waiting for the window, on both sides of a DST change;
/// and no reminder after an answer, an opt-out, an expiry or a cancel. Expected times are worked out here with
/// <see cref="TimeZoneInfo"/> from the test's own data, not with the service's helpers.
/// </summary>
public sealed class ReminderWindowTests
{
    private static object Order(string person, string zone) =>
        new { recipient = new { customerId = person, email = $"{person}@example.com", timeZone = zone }, orderId = person };

    /// <summary>The doc's window, 09:00–17:00 every day in <paramref name="zone"/>: <paramref name="due"/> or the next 09:00.</summary>
    private static DateTimeOffset InWindow(DateTimeOffset due, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(due, zone);
        if (local.Hour is >= 9 and < 17)
            return due;
        var day = local.Hour >= 17 ? local.Date.AddDays(1) : local.Date;
        return TimeZoneInfo.ConvertTimeToUtc(day.AddHours(9), zone);
    }

    [Fact]
    public async Task Reminders_DueAtNightAcrossADstChange_WaitForTheWindowInTheRecipientsZone()
    {
        using var rules = new RulesFile(RulesDoc.Block("reminder-window-rules"));
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        var after = TimeSpan.FromHours(60); // the doc's reminders.after

        // Bob in New York: clocks go forward on 14 March 2027; Anna in Berlin: back on 31 October 2027.
        foreach (var (person, zoneId, eventTime, dstChange) in new[]
        {
            ("bob", "America/New_York", new DateTimeOffset(2027, 3, 11, 20, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 3, 14, 7, 0, 0, TimeSpan.Zero)),
            ("anna", "Europe/Berlin", new DateTimeOffset(2027, 10, 29, 13, 30, 0, TimeSpan.Zero), new DateTimeOffset(2027, 10, 31, 1, 0, 0, TimeSpan.Zero)),
        })
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
            zone.GetUtcOffset(dstChange - TimeSpan.FromMinutes(1)).ShouldNotBe(zone.GetUtcOffset(dstChange), $"{zoneId} changes its clocks at {dstChange:u}");
            var address = $"{person}@example.com";
            service.Clock.SetUtcNow(eventTime);
            await service.PublishAsync(BusinessEvents.Binary(person, "order.delivered", Order(person, zoneId), eventTime));
            await service.WaitForCountAsync($"select count(*) from invitations where event_id = '{person}'", 1);

            var first = InWindow(eventTime + TimeSpan.FromHours(1), zone);
            await ClockSteps.ArrivesAtAsync(service, first, () => ClockSteps.MailToAsync(service, address), 1, $"{person}'s survey");
            // The first reminder falls due at night, on the other side of the clock change; the second in the evening.
            TimeZoneInfo.ConvertTime(first + after, zone).Hour.ShouldBeLessThan(9);
            (first + after).ShouldBeGreaterThan(dstChange);
            var reminder1 = InWindow(first + after, zone);
            TimeZoneInfo.ConvertTime(reminder1, zone).TimeOfDay.ShouldBe(TimeSpan.FromHours(9));
            await ClockSteps.ArrivesAtAsync(service, reminder1, () => ClockSteps.MailToAsync(service, address), 2, $"{person}'s reminder 1");
            var reminder2 = InWindow(reminder1 + after, zone);
            reminder2.ShouldNotBe(reminder1 + after);
            await ClockSteps.ArrivesAtAsync(service, reminder2, () => ClockSteps.MailToAsync(service, address), 3, $"{person}'s reminder 2");

            var mine = (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Where(m => m.To.Mailboxes.Single().Address == address).ToList();
            mine.Select(m => m.Subject).ShouldBe([$"How was order #{person}?", $"Reminder: How was order #{person}?", $"Reminder: How was order #{person}?"]);
            mine[1].MessageId.ShouldEndWith(".r1@nps.acme.test");
            mine[2].MessageId.ShouldEndWith(".r2@nps.acme.test");
            // count: 2 — no third one.
            service.Clock.Advance(after * 2);
            await service.WaitForSweepAsync();
            (await ClockSteps.MailToAsync(service, address)).ShouldBe(3);
        }
        // The doc's table of times is the one this test just saw.
        var lines = RulesDoc.Lines("reminder-window-times");
        lines.ShouldBe(await SentTimesAsync(service));
    }

    /// <summary>Each invitation's messages, as the doc prints them: person, then each send in UTC and local time.</summary>
    private static async Task<string[]> SentTimesAsync(ServiceUnderTest service)
    {
        var lines = new List<string>();
        var mail = await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero);
        foreach (var person in new[] { ("bob", "America/New_York"), ("anna", "Europe/Berlin") })
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(person.Item2);
            var times = mail.Where(m => m.To.Mailboxes.Single().Address == $"{person.Item1}@example.com")
                .Select(m => $"{m.Date.UtcDateTime:yyyy-MM-dd HH:mm}Z = {TimeZoneInfo.ConvertTime(m.Date, zone):yyyy-MM-dd HH:mm} local");
            lines.Add($"{person.Item1} ({person.Item2}): {string.Join(", ", times)}");
        }
        return [.. lines];
    }

    private const string StopsYaml = """
        version: 1
        surveys:
          delivery:
            subject: 'How was order #{{ data.orderId }}?'
            question: How likely are you to recommend Acme?
        rules:
          - name: delivered
            on: order.delivered
            survey: delivery
            delay: 1h
            keep: [orderId]
            cancelOn: [{ on: order.returned, match: orderId }]
            reminders: { count: 2, after: 3d }
          - name: collected
            on: order.collected
            survey: delivery
            delay: 1h
            keep: [orderId]
            expiry: 4d
            reminders: { count: 2, after: 3d }
        """;

    [Fact]
    public async Task Reminders_StopAfterAnAnswerAnOptOutAnExpiryOrACancel_AndGoToTheOneWhoDidNothing()
    {
        using var rules = new RulesFile(StopsYaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        var zone = "Europe/London";
        await service.PublishAsync(
            BusinessEvents.Binary("quiet", "order.delivered", Order("quiet", zone), ServiceUnderTest.Start),
            BusinessEvents.Binary("answers", "order.delivered", Order("answers", zone), ServiceUnderTest.Start),
            BusinessEvents.Binary("opts-out", "order.delivered", Order("opts-out", zone), ServiceUnderTest.Start),
            BusinessEvents.Binary("returns", "order.delivered", Order("returns", zone), ServiceUnderTest.Start),
            BusinessEvents.Binary("expires", "order.collected", Order("expires", zone), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 5);
        service.Clock.Advance(TimeSpan.FromHours(1));
        var first = await service.Smtp.WaitForMessagesAsync(5, TimeSpan.FromSeconds(30));
        first.Count.ShouldBe(5);
        MimeMessage To(string person) => first.Single(m => m.To.Mailboxes.Single().Address == $"{person}@example.com");

        var link = Pipeline.EndToEndTests.ScoreLinks(To("answers"), service.Host!.BaseAddress)[7];
        (await Pipeline.ScoreClicks.ClickAsync(service.Host.Http, link)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var unsubscribe = new Uri(To("opts-out").Headers[HeaderId.ListUnsubscribe]!.Trim().Trim('<', '>'));
        (await service.Host.Http.PostAsync(unsubscribe, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]))).EnsureSuccessStatusCode();
        await service.PublishAsync(BusinessEvents.Binary("returned", "order.returned", Order("returns", zone), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from decisions where outcome = 'reminders_stopped'", 1);

        var sent = ServiceUnderTest.Start.AddHours(1);
        // Three days on: reminder 1 goes to the one who did nothing and to the one whose links still answer.
        await ClockSteps.ArrivesAtAsync(service, sent.AddDays(3), async () => (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count, 7, "reminder 1");
        var all = await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero);
        all.Skip(5).Select(m => m.To.Mailboxes.Single().Address).ShouldBe(["quiet@example.com", "expires@example.com"], ignoreOrder: true);
        // Six days on: reminder 2 only to the quiet one; the links of 'expires' stopped answering after four days.
        await ClockSteps.ArrivesAtAsync(service, sent.AddDays(6), async () => (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count, 8, "reminder 2");
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero))[7].To.Mailboxes.Single().Address.ShouldBe("quiet@example.com");
        service.Clock.Advance(TimeSpan.FromDays(10));
        await service.WaitForSweepAsync();
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count.ShouldBe(8);
        (await service.ScalarAsync<string>("select string_agg(event_id || ' ' || state || ' ' || reminders_sent, ', ' order by event_id) from invitations"))
            .ShouldBe("answers answered 0, expires expired 1, opts-out sent 0, quiet sent 2, returns sent 0");
    }
}
