using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Pipeline;

/// <summary>
/// Every Kafka client of a host (the intake consumer, the outbox producer) is built from its own copy of
/// <c>Kafka:Client</c>: Confluent's configs write into the dictionary they are given, and a shared one let a consumer
/// being built enumerate it while the outbox producer wrote its settings into it ("Collection was modified"), which
/// stopped the host at start.
/// </summary>
public sealed class KafkaClientSettingsTests
{
    [Fact]
    public async Task Clients_OfEveryRole_LeaveTheConfiguredSettingsAsConfigured()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?>
        {
            ["Roles"] = "triggers,ingest",
            ["Kafka:Client:client.id"] = "nps-test",
        });
        await service.PublishAsync(BusinessEvents.Binary("k-1", "order.delivered", BusinessEvents.OrderDelivered("1"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        var client = service.Host!.Services.GetRequiredService<IOptions<KafkaOptions>>().Value.Client;
        client.ShouldBe(new Dictionary<string, string> { ["client.id"] = "nps-test" });
    }
}
