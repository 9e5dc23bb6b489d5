using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Pipeline;

public sealed class IntakeResilienceTests
{
    [Fact]
    public async Task Intake_WhilePostgresIsDown_WaitsAndLosesNothing()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Roles"] = "triggers" });
        await service.PublishAsync(BusinessEvents.Binary("before", "order.delivered", BusinessEvents.OrderDelivered("1"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 1);

        PostgresServer.Shared.Stop();
        try
        {
            await service.PublishAsync([.. Enumerable.Range(0, 50).Select(i =>
                BusinessEvents.Binary($"during-{i}", "order.delivered", BusinessEvents.OrderDelivered($"d{i}"), ServiceUnderTest.Start))]);
            await Task.Delay(TimeSpan.FromSeconds(2)); // the consumer reads them and retries its commit
        }
        finally
        {
            PostgresServer.Shared.Start();
        }
        service.DataSource.Clear();
        await service.WaitForCountAsync("select count(*) from invitations", 51, TimeSpan.FromSeconds(60));
        (await service.ScalarAsync<long>("select count(*) from inbox")).ShouldBe(51);
        service.Host!.Services.GetService(typeof(NpsTriggers.Triggers.Intake.KafkaIntakeService))
            .ShouldBeOfType<NpsTriggers.Triggers.Intake.KafkaIntakeService>().Running.ShouldBeTrue();
    }
}
