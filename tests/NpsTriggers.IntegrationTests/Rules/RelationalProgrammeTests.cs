using Microsoft.Extensions.DependencyInjection;
using NpsTriggers.Dispatch.Scheduling;
using NpsTriggers.Testing;

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
}
