using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using NpsTriggers.Dispatch.Scheduling;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Rules;

/// <summary>
/// A relational programme end to end (docs/RULES.md, "A relational programme with sampling, throttle and channel"):
/// who is in the sample, the throttle it shares with an event-triggered survey, the window, and each person's channel,
/// as the SMTP server and the Twilio stand-in receive it.
/// </summary>
public sealed class RelationalProgrammeFeatureTests
{
    private sealed record Known(string Id, string? Email, string? Phone)
    {
        public string Name => char.ToUpperInvariant(Id[0]) + Id[1..];
    }

    // Email only, phone only, both; one of each in the doc's 50 % sample and one out.
    private static readonly Known[] People =
    [
        new("ben", "ben@example.com", null), new("ana", "ana@example.com", null),
        new("cara", null, "+4915112345691"), new("eli", null, "+4915112345692"),
        new("dev", "dev@example.com", "+4915112345693"), new("fia", "fia@example.com", "+4915112345694"),
    ];

    /// <summary>The documented sample bucket, computed here: SHA-256 of "survey\nc:customerId", first 8 bytes big-endian, mod 10000.</summary>
    private static int Bucket(string survey, string customerId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{survey}\nc:{customerId}"));
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % 10_000);
    }

    private static async Task<int> RunProgrammesAsync(ServiceUnderTest service)
    {
        using var scope = service.Host!.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<RelationalProgrammeJob>().RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Relational_SampledPeopleAreThrottledByARecentEventSurvey_ThenSurveyedInTheWindowOnTheirChannel()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile(RulesDoc.Block("relational-rules"));
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(twilio.Settings));
        var inSample = People.Where(p => Bucket("relationship", p.Id) < 5000).Select(p => p.Id).ToHashSet();
        inSample.ShouldBe(["ben", "cara", "dev"], ignoreOrder: true);
        async Task<int> Arrived() => (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count + twilio.Messages.Count;

        // Monday 2 November 2026: each person's order is delivered and surveyed at once, by email if they have one.
        await service.PublishAsync([.. People.Select(p => BusinessEvents.Binary($"order-{p.Id}", "order.delivered",
            new { recipient = new { customerId = p.Id, email = p.Email, phone = p.Phone, name = p.Name, timeZone = "Europe/London" }, orderId = p.Id },
            ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", People.Length);
        (await Arrived()).ShouldBe(People.Length);

        // Tuesday 08:00: the programme picks the sampled half, due at the window's opening (10:00 London), where the
        // 14-day global throttle holds each back: they were surveyed yesterday. Nothing reaches anyone.
        service.Clock.SetUtcNow(ServiceUnderTest.Start.AddDays(1));
        (await RunProgrammesAsync(service)).ShouldBe(inSample.Count);
        (await RunProgrammesAsync(service)).ShouldBe(0);
        (await service.ScalarAsync<string>("select string_agg(customer_id || ' ' || channel, ', ' order by customer_id) from invitations where rule = 'quarterly'"))
            .ShouldBe("ben email, cara sms, dev email");
        service.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 3, 10, 0, 0, TimeSpan.Zero));
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'quarterly' and state = 'suppressed'", inSample.Count);
        await service.WaitForSweepAsync();
        (await Arrived()).ShouldBe(People.Length);
        (await service.ScalarAsync<long>("select count(*) from decisions where rule = 'quarterly' and outcome = 'throttled' and detail like 'throttled by the global (14 days) recontact period:%'"))
            .ShouldBe(inSample.Count);

        // 90 days after that run (Monday 1 February 2027, 09:00 UTC) the same half is due again, and is surveyed on
        // Tuesday at 10:00 London time, each on the channel the rule gives them.
        service.Clock.SetUtcNow(new DateTimeOffset(2027, 2, 1, 9, 0, 0, TimeSpan.Zero));
        (await RunProgrammesAsync(service)).ShouldBe(inSample.Count);
        await ClockSteps.ArrivesAtAsync(service, new DateTimeOffset(2027, 2, 2, 10, 0, 0, TimeSpan.Zero), Arrived, People.Length + inSample.Count, "the quarterly surveys");

        var mail = (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Skip(People.Count(p => p.Email is not null)).ToList();
        var texts = twilio.Messages.Skip(People.Count(p => p.Email is null)).ToList();
        var seen = People.Select(p =>
            mail.FirstOrDefault(m => m.To.Mailboxes.Single().Address == p.Email) is { } m ? $"{p.Id}: email \"{m.Subject}\""
            : texts.FirstOrDefault(t => t.To == p.Phone) is { } t ? $"{p.Id}: sms \"{t.Body}\""
            : $"{p.Id}: nothing (bucket {Bucket("relationship", p.Id)})");
        seen.ShouldBe(RulesDoc.Lines("relational-outcomes"), ignoreOrder: true);
    }

    private const string ManyYaml = """
        version: 1
        surveys:
          delivery: { subject: 'Order #{{ data.orderId }}', question: Q }
          relationship: { subject: How are we doing?, question: Q }
        rules:
          - { name: delivered, on: order.delivered, survey: delivery, keep: [orderId], delay: 60d, reminders: { count: 0 } }
          - { name: quarterly, every: 90d, survey: relationship, sample: 10%, window: { days: Tue, from: "10:00", to: "11:00" }, reminders: { count: 0 } }
        """;

    // Regression: the run read known people in pages of 1000 and stopped at a page in which nobody was in the sample. The
    // sampled-out stay candidates, so with a small sample a page of only them came soon, and whoever came after them
    // in the table was never surveyed, in any run.
    [Fact]
    public async Task Relational_SmallSampleOfMoreThanAPageOfPeople_SurveysEveryoneInTheSample()
    {
        using var rules = new RulesFile(ManyYaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        var people = Enumerable.Range(0, 2500).Select(i => $"k{i:D4}").ToList();
        await service.PublishAsync([.. people.Select(p => BusinessEvents.Binary($"o-{p}", "order.delivered",
            new { recipient = new { customerId = p, email = $"{p}@example.com" }, orderId = p }, ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations", people.Count, TimeSpan.FromMinutes(3));

        var inSample = people.Where(p => Bucket("relationship", p) < 1000).ToList();
        inSample.Count.ShouldBeInRange(150, 350); // about a tenth of 2500
        (await RunProgrammesAsync(service)).ShouldBe(inSample.Count);
        (await service.ScalarAsync<string>("select string_agg(customer_id, ',' order by customer_id) from invitations where rule = 'quarterly'"))
            .ShouldBe(string.Join(',', inSample.Order(StringComparer.Ordinal)));
        (await RunProgrammesAsync(service)).ShouldBe(0);
    }
}
