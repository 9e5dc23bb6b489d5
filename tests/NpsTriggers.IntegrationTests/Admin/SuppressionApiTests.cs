using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Admin;

public sealed class SuppressionApiTests
{
    [Fact]
    public async Task ManualEntry_SuppressesTheNextSend_AndCanBeRemoved()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Admin:ApiKeys:0"] = TestKeys.Admin });
        var http = service.Host!.Http;
        http.DefaultRequestHeaders.Add("X-Api-Key", TestKeys.Admin);

        var bad = await http.PostAsJsonAsync("/api/suppressions", new { channel = "fax", address = "x", reason = "" });
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using (var problem = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()))
        {
            problem.RootElement.GetProperty("errors").TryGetProperty("channel", out _).ShouldBeTrue();
            problem.RootElement.GetProperty("errors").TryGetProperty("reason", out _).ShouldBeTrue();
        }
        (await http.PostAsJsonAsync("/api/suppressions", new { channel = "email", address = "Anna@Example.com", reason = "asked by phone" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);

        await service.PublishAsync(BusinessEvents.Binary("supp-1", "order.delivered", BusinessEvents.OrderDelivered("S1"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'suppressed'", 1);
        (await service.ScalarAsync<string>("select failure_reason from invitations")).ShouldStartWith("email address is on the suppression list: manual: asked by phone");

        var listed = await http.GetFromJsonAsync<JsonElement>("/api/suppressions?channel=email");
        listed.EnumerateArray().Single().GetProperty("address").GetString().ShouldBe("anna@example.com");
        (await http.DeleteAsync("/api/suppressions/email/anna%40example.com")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await http.DeleteAsync("/api/suppressions/email/anna%40example.com")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        http.DefaultRequestHeaders.Remove("X-Api-Key");
        (await http.GetAsync("/api/suppressions")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
