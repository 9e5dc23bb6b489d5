using System.Net;
using System.Net.Http.Headers;
using System.Text;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Access;

/// <summary>Issue 18, item 2: every endpoint that returns a person's data or business figures needs a key of its policy.</summary>
public sealed class KeyAccessTests
{
    private static Dictionary<string, string?> AllKeys() => new()
    {
        ["Roles"] = "triggers,ingest", // every policy's keys known: the events keys belong to the triggers role
        ["Admin:ApiKeys:0"] = TestKeys.Admin,
        ["Api:Keys:0"] = TestKeys.Integration,
        ["EventsApi:ApiKeys:0"] = TestKeys.Events,
    };

    private static async Task<HttpStatusCode> GetAsync(RunningHost host, string path, string? key, bool basic = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null && basic)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:" + key)));
        else if (key is not null)
            request.Headers.Add("X-Api-Key", key);
        using var response = await host.Http.SendAsync(request);
        return response.StatusCode;
    }

    [Theory]
    [InlineData("/api/decisions?email=anna@example.com")]
    [InlineData("/api/decisions?customer=c-1")]
    [InlineData("/api/nps")]
    [InlineData("/api/reports/nps")]
    [InlineData("/api/suppressions")]
    [InlineData("/api/privacy/export?email=anna@example.com")]
    [InlineData("/dashboard")]
    [InlineData("/hangfire")]
    public async Task OpsEndpoint_OnlyTheAdminKey_Opens(string path)
    {
        await using var service = await ServiceUnderTest.StartAsync(AllKeys());
        var host = service.Host!;
        (await GetAsync(host, path, key: null)).ShouldBe(HttpStatusCode.Unauthorized);
        (await GetAsync(host, path, "not-a-key-but-long-enough-0123456789")).ShouldBe(HttpStatusCode.Unauthorized);
        // A key of another policy authenticates, but is not allowed here.
        (await GetAsync(host, path, TestKeys.Integration)).ShouldBe(HttpStatusCode.Forbidden);
        (await GetAsync(host, path, TestKeys.Events)).ShouldBe(HttpStatusCode.Forbidden);
        // The admin key opens it, as a header for scripts or as the Basic password a browser asks for.
        (await GetAsync(host, path, TestKeys.Admin)).ShouldBe(HttpStatusCode.OK);
        (await GetAsync(host, path, TestKeys.Admin, basic: true)).ShouldBe(HttpStatusCode.OK);
        // A prefix or an extension of the key is another key.
        (await GetAsync(host, path, TestKeys.Admin[..^1])).ShouldBe(HttpStatusCode.Unauthorized);
        (await GetAsync(host, path, TestKeys.Admin + "x")).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Decisions_WithoutTheKey_QuoteNothingAboutThePerson()
    {
        var settings = AllKeys();
        settings.Remove("Roles"); // the triggers role writes the decisions
        await using var service = await ServiceUnderTest.StartAsync(settings);
        await service.PublishAsync(BusinessEvents.Binary("k-1", "order.delivered", BusinessEvents.OrderDelivered("K1", "kim@example.com", "Kim"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from decisions", 1);
        using var anonymous = await service.Host!.Http.GetAsync("/api/decisions?email=kim@example.com");
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        anonymous.Headers.WwwAuthenticate.ToString().ShouldStartWith("Basic");
        (await anonymous.Content.ReadAsStringAsync()).ShouldNotContain("K1");
        (await service.Host.Ops.GetStringAsync("/api/decisions?email=kim@example.com")).ShouldContain("scheduled");
    }

    [Theory]
    [InlineData("/api/responses", TestKeys.Integration)]
    [InlineData("/api/follow-ups", TestKeys.Integration)]
    public async Task IntegrationEndpoint_OnlyTheIntegrationKey_Opens(string path, string key)
    {
        await using var service = await ServiceUnderTest.StartAsync(AllKeys());
        var host = service.Host!;
        (await GetAsync(host, path, key: null)).ShouldBe(HttpStatusCode.Unauthorized);
        (await GetAsync(host, path, TestKeys.Admin)).ShouldBe(HttpStatusCode.Forbidden);
        (await GetAsync(host, path, key)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Endpoints_WhosePolicyHasNoKey_AreOff()
    {
        var settings = AllKeys();
        settings.Remove("Api:Keys:0");
        settings.Remove("EventsApi:ApiKeys:0");
        await using var service = await ServiceUnderTest.StartAsync(settings);
        var host = service.Host!;
        (await GetAsync(host, "/api/responses", TestKeys.Integration)).ShouldBe(HttpStatusCode.NotFound);
        (await GetAsync(host, "/api/follow-ups", key: null)).ShouldBe(HttpStatusCode.NotFound);
        using var events = await host.Http.PostAsync("/api/events", new StringContent("{}", Encoding.UTF8, "application/cloudevents+json"));
        events.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await GetAsync(host, "/api/nps", TestKeys.Admin)).ShouldBe(HttpStatusCode.OK);
    }
}
