using Microsoft.Extensions.DependencyInjection;
using NpsTriggers.Dispatch.Scheduling;
using NpsTriggers.Testing;
using NpsTriggers.Triggers.Programmes;

namespace NpsTriggers.IntegrationTests.Rules;

public sealed class RelationalProgrammeTests
{
    private const string Yaml = """
        version: 1
        throttle: { global: 1d }
        surveys:
          delivery: { subject: 'Order #{{ data.orderId }}', question: Q }
          relationship: { subject: 'How are we doing, {{ recipient.name }}?', question: How likely are you to recommend Acme? }
        rules:
          - { name: delivered, on: order.delivered, survey: delivery, keep: [orderId], reminders: { count: 0 } }
          - { name: quarterly, every: 90d, survey: relationship, reminders: { count: 0 } }
        """;

    private static async Task<int> RunProgrammesAsync(ServiceUnderTest service)
    {
        using var scope = service.Host!.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<RelationalProgrammeJob>().RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Relational_SurveysKnownPeopleOncePerPeriod_AndSharesTheThrottle()
    {
        using var rules = new RulesFile(Yaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        await service.PublishAsync(BusinessEvents.Binary("o-1", "order.delivered", BusinessEvents.OrderDelivered("1", "rel@example.com"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);

        (await RunProgrammesAsync(service)).ShouldBe(1);
        (await RunProgrammesAsync(service)).ShouldBe(0); // same period: nothing new
        // Due at once, but the person was surveyed moments ago: the global throttle (1 day) holds it back.
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'quarterly' and state = 'suppressed'", 1);
        (await service.ScalarAsync<string>("select detail from decisions where rule = 'quarterly' and outcome = 'throttled'"))
            .ShouldStartWith("throttled by the global (1 days) recontact period");

        service.Clock.Advance(TimeSpan.FromDays(91));
        (await RunProgrammesAsync(service)).ShouldBe(1);
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'quarterly' and state = 'sent'", 1);
        var mail = await service.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(10));
        mail.Select(m => m.Subject).ShouldBe(["Order #1", "How are we doing, Anna?"]);
        (await service.ScalarAsync<long>("select count(*) from decisions where rule = 'quarterly' and outcome = 'scheduled'")).ShouldBe(2);
    }

    private const string PhoneYaml = """
        version: 1
        throttle: { global: 1d }
        surveys:
          support: { subject: Support, question: Q, sms: 'Ticket closed. 0-10? Reply STOP to opt out.' }
          relationship: { subject: Hello, question: Q, sms: '{{ recipient.name }}, how likely are you to recommend Acme (0-10)? Reply STOP to opt out.' }
          relationship-mail: { subject: 'How are we doing, {{ recipient.name }}?', question: Q }
        rules:
          - { name: closed, on: ticket.closed, survey: support, channel: sms, reminders: { count: 0 } }
          - { name: quarterly-sms, every: 90d, survey: relationship, channel: sms, reminders: { count: 0 } }
          - { name: quarterly-mail, every: 90d, survey: relationship-mail, channel: email, reminders: { count: 0 } }
        """;

    // PhoneYaml's service, with one phone-only person (customer c-phone) surveyed by SMS once.
    private static async Task<(TwilioStandIn Twilio, RulesFile Rules, ServiceUnderTest Service)> StartWithPhoneOnlyPersonAsync()
    {
        var twilio = await TwilioStandIn.StartAsync();
        var rules = new RulesFile(PhoneYaml);
        var service = await ServiceUnderTest.StartAsync(rules.Settings(twilio.Settings));
        var phoneOnly = new { recipient = new { customerId = "c-phone", phone = "+4915112345679", name = "Bo" }, ticketId = "T-1" };
        await service.PublishAsync(BusinessEvents.Binary("closed-1", "ticket.closed", phoneOnly, ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        return (twilio, rules, service);
    }

    [Fact]
    public async Task Relational_PhoneOnlyPerson_IsSurveyedBySmsWhenTheChannelAllowsAndExplainedWhenItDoesNot()
    {
        var (twilio, rules, service) = await StartWithPhoneOnlyPersonAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;

        service.Clock.Advance(TimeSpan.FromDays(2)); // past the global throttle
        (await RunProgrammesAsync(service)).ShouldBe(1);
        await service.WaitForCountAsync("select count(*) from invitations where rule = 'quarterly-sms' and state = 'sent'", 1);
        (await service.ScalarAsync<string>("select channel from invitations where rule = 'quarterly-sms'")).ShouldBe("sms");
        twilio.Messages.Select(m => m.Body).ShouldContain("Bo, how likely are you to recommend Acme (0-10)? Reply STOP to opt out.");
        twilio.Messages.ShouldAllBe(m => m.To == "+4915112345679");

        // channel: email cannot reach a phone-only person: no invitation, one explained decision per period.
        (await RunProgrammesAsync(service)).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from invitations where rule = 'quarterly-mail'")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from decisions where rule = 'quarterly-mail'")).ShouldBe(1);
        (await service.ScalarAsync<string>("select outcome || ': ' || detail from decisions where rule = 'quarterly-mail' and customer_id = 'c-phone'"))
            .ShouldBe("no_contact: relational programme: the rule sends by email and the person has no email address");
    }

    [Fact]
    public async Task Relational_ARunWhileAnotherHoldsTheRunLock_DoesNothing_AndTheNextRunDoesItOnce()
    {
        var (twilio, rules, service) = await StartWithPhoneOnlyPersonAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;
        service.Clock.Advance(TimeSpan.FromDays(2));

        // Another run, still going (on another replica, or one whose Hangfire lock was taken for abandoned after 30 s),
        // holds the run's session lock, in a session of its own: unpooled, so closing it ends the session as a killed
        // process's would.
        await using var other = new Npgsql.NpgsqlConnection(service.ConnectionString + ";Pooling=false");
        await other.OpenAsync();
        await using (var take = new Npgsql.NpgsqlCommand("select pg_try_advisory_lock(@key)", other))
        {
            take.Parameters.AddWithValue("key", RelationalProgrammes.RunLockKey);
            (await take.ExecuteScalarAsync()).ShouldBe(true);
        }
        (await RunProgrammesAsync(service)).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from invitations where rule like 'quarterly%'")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from decisions where rule like 'quarterly%'")).ShouldBe(0);
        service.Logs.Lines.ShouldContain(l => l.Contains("another run", StringComparison.Ordinal));

        // That run ends (its session closes: a killed process releases the lock the same way); the next run does the work, once.
        await other.CloseAsync();
        // Closing returns once the server was told; its backend releases the lock as it exits, a moment later. The
        // next run comes after that, as it would after a killed process's session ended.
        await Eventually.Until(() => RunLocksAsync(service), n => n == 0, TimeSpan.FromSeconds(10), "the closed session's lock released");
        (await RunProgrammesAsync(service)).ShouldBe(1);
        (await RunProgrammesAsync(service)).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from invitations where rule = 'quarterly-sms'")).ShouldBe(1);
        (await service.ScalarAsync<long>("select count(*) from decisions where rule = 'quarterly-mail' and outcome = 'no_contact'")).ShouldBe(1);
        // A run leaves the lock free behind it.
        (await RunLocksAsync(service)).ShouldBe(0);
    }

    /// <summary>How many sessions hold the relational programmes' run lock.</summary>
    private static Task<long> RunLocksAsync(ServiceUnderTest service) =>
        service.ScalarAsync<long>("select count(*) from pg_locks where locktype = 'advisory' and ((classid::bigint << 32) | objid::bigint) = @key",
            ("key", RelationalProgrammes.RunLockKey));
}
