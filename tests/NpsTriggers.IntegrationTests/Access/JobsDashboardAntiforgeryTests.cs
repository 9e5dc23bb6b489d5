using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Access;

/// <summary>
/// Issue 18, item 2: Hangfire's dashboard POSTs carry antiforgery tokens. A browser sends the ops key by itself (HTTP
/// Basic), so a POST from another site must be refused; the dashboard's own token works on every replica.
/// </summary>
public sealed partial class JobsDashboardAntiforgeryTests
{
    private static HttpClient Browser(RunningHost host, CookieContainer cookies)
    {
        var http = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:" + TestKeys.Admin)));
        return http;
    }

    private static FormUrlEncodedContent Trigger() => new([new("jobs[]", "relational-programmes")]);

    [Fact]
    public async Task DashboardPost_WithoutTheToken_IsRefused_WithTheDashboardsToken_WorksOnAnyReplica()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        await using var replica = await service.StartReplicaAsync(new Dictionary<string, string?> { ["Roles"] = "ingest" });

        // A forged POST: the browser adds the key, but the attacking page cannot read the dashboard's token.
        using (var forger = Browser(service.Host!, new CookieContainer()))
            (await forger.PostAsync("/hangfire/recurring/trigger", Trigger())).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var cookies = new CookieContainer();
        using var first = Browser(service.Host!, cookies);
        var page = await first.GetStringAsync("/hangfire/recurring");
        var header = AntiforgeryHeader().Match(page).Groups[1].Value;
        var token = AntiforgeryToken().Match(page).Groups[1].Value;
        header.ShouldNotBeEmpty();
        token.ShouldNotBeEmpty();
        (await first.PostAsync("/hangfire/recurring/trigger", Trigger())).StatusCode.ShouldBe(HttpStatusCode.Forbidden); // cookie alone

        // The same browser's next POST lands on the other replica (load balancing): the shared key ring verifies it.
        using var second = Browser(replica, new CookieContainer());
        foreach (Cookie cookie in cookies.GetAllCookies())
            second.DefaultRequestHeaders.Add("Cookie", $"{cookie.Name}={cookie.Value}");
        using var post = new HttpRequestMessage(HttpMethod.Post, "/hangfire/recurring/trigger") { Content = Trigger() };
        post.Headers.Add(header, token);
        (await second.SendAsync(post)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [GeneratedRegex("<meta name=\"csrf-header\" content=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryHeader();

    [GeneratedRegex("<meta name=\"csrf-token\" content=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
