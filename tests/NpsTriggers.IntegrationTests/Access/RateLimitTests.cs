using System.Net;
using System.Text.Json;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Access;

/// <summary>
/// Issue 18, item 3: rate limits per client address on every public endpoint, 429 problem details with Retry-After,
/// stricter after failed key checks. Clients are told apart by X-Forwarded-For, which loopback (the test) may set.
/// </summary>
public sealed class RateLimitTests
{
    private static async Task<HttpResponseMessage> SendAsync(RunningHost host, HttpMethod method, string path, string client, string? key = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Forwarded-For", client);
        if (key is not null)
            request.Headers.Add("X-Api-Key", key);
        if (method == HttpMethod.Post)
            request.Content = new FormUrlEncodedContent([new("Body", "9")]);
        return await host.Http.SendAsync(request);
    }

    // Ingest, where three failed key checks hold an address to one request per 100 s.
    private static Dictionary<string, string?> StricterAfterThreeFailedKeys() => new()
    {
        ["Roles"] = "ingest",
        ["RequestRateLimits:FailedKeyChecks"] = "3",
        ["RequestRateLimits:AfterFailedKeys:Burst"] = "1",
        ["RequestRateLimits:AfterFailedKeys:PerSecond"] = "0.01",
    };

    private static async Task ShouldBeLimitedAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("status").GetInt32().ShouldBe(429);
    }

    [Theory]
    [InlineData("GET", "/s/not-a-token", "Customer")]
    [InlineData("POST", "/u/not-a-token", "Customer")]
    [InlineData("POST", "/twilio/inbound", "Webhook")]
    [InlineData("GET", "/api/nps", "Keyed")]
    [InlineData("GET", "/dashboard", "Keyed")]
    public async Task PublicEndpoint_OverItsBurst_Gets429WithRetryAfter_OnlyForThatAddress(string method, string path, string bucket)
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?>
        {
            ["Roles"] = "ingest",
            [$"RequestRateLimits:{bucket}:Burst"] = "3",
            [$"RequestRateLimits:{bucket}:PerSecond"] = "0.01",
        });
        var host = service.Host!;
        var verb = new HttpMethod(method);
        for (var i = 0; i < 3; i++)
        {
            using var allowed = await SendAsync(host, verb, path, "203.0.113.7", TestKeys.Admin);
            allowed.StatusCode.ShouldNotBe(HttpStatusCode.TooManyRequests);
        }
        using (var limited = await SendAsync(host, verb, path, "203.0.113.7", TestKeys.Admin))
            await ShouldBeLimitedAsync(limited);
        // Another client is not held back by the first.
        using var other = await SendAsync(host, verb, path, "198.51.100.20", TestKeys.Admin);
        other.StatusCode.ShouldNotBe(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task KeyedEndpoints_AfterFailedKeyChecks_HoldTheAddressToTheStricterLimit()
    {
        await using var service = await ServiceUnderTest.StartAsync(StricterAfterThreeFailedKeys());
        var host = service.Host!;
        const string guesser = "203.0.113.9";
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await SendAsync(host, HttpMethod.Get, "/api/nps", guesser, $"guess-{i}-0123456789abcdefghijklmnopqrstuv");
            wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
        // From now on one request per 100 s, whatever key it carries, until the failure window ends.
        using (var first = await SendAsync(host, HttpMethod.Get, "/api/nps", guesser, TestKeys.Admin))
            first.StatusCode.ShouldBe(HttpStatusCode.OK);
        using (var second = await SendAsync(host, HttpMethod.Get, "/api/nps", guesser, TestKeys.Admin))
            await ShouldBeLimitedAsync(second);
        // The customer pages stay open to that address, and other addresses keep the normal limit.
        using (var page = await SendAsync(host, HttpMethod.Get, "/s/not-a-token", guesser))
            page.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        for (var i = 0; i < 5; i++)
        {
            using var other = await SendAsync(host, HttpMethod.Get, "/api/nps", "198.51.100.30", TestKeys.Admin);
            other.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task CustomerPages_CheckNoKey_SoAKeyTheyCarryIsNeverCountedAsAFailedCheck()
    {
        await using var service = await ServiceUnderTest.StartAsync(StricterAfterThreeFailedKeys());
        var host = service.Host!;
        const string client = "203.0.113.10";
        // Pages and answers take no key: whatever X-Api-Key a browser extension or a proxy adds is not looked at.
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/s/not-a-token"), (HttpMethod.Post, "/s/not-a-token/answer"), (HttpMethod.Post, "/u/not-a-token") })
        {
            using var page = await SendAsync(host, method, path, client, "not-a-key-0123456789abcdefghijklmnopqrstuv");
            page.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }
        // So the address keeps the normal keyed limit (after three failed checks it would get one request per 100 s).
        for (var i = 0; i < 3; i++)
        {
            using var keyed = await SendAsync(host, HttpMethod.Get, "/api/nps", client, TestKeys.Admin);
            keyed.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Health_IsNeverRateLimited()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?>
        {
            ["Roles"] = "ingest",
            ["RequestRateLimits:Customer:Burst"] = "1",
            ["RequestRateLimits:Keyed:Burst"] = "1",
            ["RequestRateLimits:Webhook:Burst"] = "1",
        });
        for (var i = 0; i < 5; i++)
            (await service.Host!.Http.GetAsync("/healthz/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
