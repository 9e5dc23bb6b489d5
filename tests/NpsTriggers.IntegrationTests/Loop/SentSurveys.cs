using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Loop;

/// <summary>Delivery surveys sent through the real pipeline (Kafka intake, dispatch, SMTP), ready to be answered.</summary>
internal static class SentSurveys
{
    /// <summary>One survey per order id, each to its own person; the links are indexed by score (0–10).</summary>
    public static async Task<Dictionary<string, List<Uri>>> SendAsync(ServiceUnderTest service, params string[] orderIds)
    {
        await service.PublishAsync([.. orderIds.Select(order => BusinessEvents.Binary(
            "evt-" + order, "order.delivered", BusinessEvents.OrderDelivered(order, email: $"person-{order}@example.com"), ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations", orderIds.Length);
        service.Clock.Advance(TimeSpan.FromDays(14));
        var messages = await service.Smtp.WaitForMessagesAsync(orderIds.Length, TimeSpan.FromSeconds(30));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", orderIds.Length);
        return orderIds.ToDictionary(order => order, order => EndToEndTests.ScoreLinks(
            messages.Single(m => m.To.ToString().Contains($"person-{order}@", StringComparison.Ordinal)), service.Host!.BaseAddress));
    }

    public static async Task<Guid> InvitationIdAsync(ServiceUnderTest service, string orderId) =>
        Guid.Parse(await service.ScalarAsync<string>("select id::text from invitations where attributes->>'orderId' = @order", ("order", orderId)));
}
