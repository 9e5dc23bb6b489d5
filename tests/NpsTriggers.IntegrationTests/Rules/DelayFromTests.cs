using System.Net.Http.Json;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Rules;

/// <summary>
/// <c>delayFrom</c> end to end (docs/RULES.md, "delayFrom: offsets, missing and future times"): the doc's rules and
/// events through Kafka, the decision each one gets, and the email arriving at the SMTP server at the time it says.
/// </summary>
public sealed class DelayFromTests
{
    private sealed record Decision(string EventId, string Rule, string Outcome, string Detail);

    private static object Shipped(string person, string? deliveredAt) => deliveredAt is null
        ? new { recipient = new { customerId = person, email = $"{person}@example.com", timeZone = "America/New_York" }, orderId = person }
        : new { recipient = new { customerId = person, email = $"{person}@example.com", timeZone = "America/New_York" }, orderId = person, deliveredAt };

    [Fact]
    public async Task DelayFrom_OffsetMissingUnparsableAndFutureTimes_SendWhenTheDecisionSays()
    {
        using var rules = new RulesFile(RulesDoc.Block("delay-from-rules"));
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        // The doc's four events, in its order; the event time is the doc's 2026-11-02 08:00Z.
        ServiceUnderTest.Start.ShouldBe(new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero));
        (string Person, string? DeliveredAt)[] events =
            [("offset", "2026-11-01T22:30:00-05:00"), ("missing", null), ("no-offset", "2026-11-01T22:30:00"), ("future", "2026-11-05T12:00:00+01:00")];
        await service.PublishAsync([.. events.Select(e => BusinessEvents.Binary(e.Person, "order.shipped", Shipped(e.Person, e.DeliveredAt), ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations", 4);

        var expected = RulesDoc.Lines("delay-from-decisions");
        expected.Length.ShouldBe(4);
        for (var i = 0; i < events.Length; i++)
        {
            var decision = (await service.Host!.Ops.GetFromJsonAsync<List<Decision>>($"/api/decisions?event={events[i].Person}"))!.ShouldHaveSingleItem();
            decision.Outcome.ShouldBe("scheduled", events[i].Person);
            decision.Detail.ShouldBe(expected[i], events[i].Person);
        }

        // Each email arrives when its decision says, computed here from the data, not from the service's helpers.
        var offsetDue = DateTimeOffset.Parse("2026-11-01T22:30:00-05:00", System.Globalization.CultureInfo.InvariantCulture).AddDays(2);
        var eventDue = ServiceUnderTest.Start.AddDays(2);
        var futureDue = DateTimeOffset.Parse("2026-11-05T12:00:00+01:00", System.Globalization.CultureInfo.InvariantCulture).AddDays(2);
        (await SentAtAsync(service, offsetDue)).ShouldBe(["offset@example.com"]);
        (await SentAtAsync(service, eventDue)).ShouldBe(["offset@example.com", "missing@example.com", "no-offset@example.com"], ignoreOrder: true);
        (await SentAtAsync(service, futureDue)).Count.ShouldBe(4);
        var mail = await service.Smtp.WaitForMessagesAsync(4, TimeSpan.Zero);
        mail.Single(m => m.To.Mailboxes.Single().Address == "future@example.com").Subject.ShouldBe("How was order #future?");
    }

    /// <summary>
    /// Moves the clock to a minute before <paramref name="due"/> and shows nothing new went out, then to the minute and
    /// returns everyone mailed so far.
    /// </summary>
    private static async Task<List<string>> SentAtAsync(ServiceUnderTest service, DateTimeOffset due)
    {
        var before = (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count;
        service.Clock.SetUtcNow((due - TimeSpan.FromMinutes(1)).ToUniversalTime());
        await service.WaitForSweepAsync();
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count.ShouldBe(before, $"nothing is due before {due:u}");
        service.Clock.SetUtcNow(due.ToUniversalTime());
        await service.WaitForSweepAsync();
        var mail = await service.Smtp.WaitForMessagesAsync(before + 1, TimeSpan.FromSeconds(30));
        return [.. mail.Select(m => m.To.Mailboxes.Single().Address)];
    }
}
