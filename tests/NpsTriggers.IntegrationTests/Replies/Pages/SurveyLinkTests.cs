using System.Net;
using Microsoft.Extensions.DependencyInjection;
using NpsTriggers.Testing;

using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.IntegrationTests.Replies.Pages;

/// <summary>Score links over real HTTP: replay, change, tampering, expiry and unsubscribe.</summary>
public sealed class SurveyLinkTests
{
    private static async Task<(ServiceUnderTest Service, List<Uri> Links, MimeKit.MimeMessage Message)> SentSurveyAsync()
    {
        var service = await ServiceUnderTest.StartAsync();
        await service.PublishAsync(BusinessEvents.Binary("evt-links", "order.delivered", BusinessEvents.OrderDelivered("555"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        service.Clock.Advance(TimeSpan.FromDays(14));
        var message = (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30))).Single();
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        return (service, EndToEndTests.ScoreLinks(message, service.Host!.BaseAddress), message);
    }

    [Fact]
    public async Task ScoreLink_ClickedTwiceThenAnotherScore_KeepsOneResponseWithTheLatestScore()
    {
        var (service, links, _) = await SentSurveyAsync();
        await using var _ = service;
        (await ScoreClicks.ClickAsync(service.Host!.Http, links[3])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var firstAnswer = await service.ScalarAsync<DateTime>("select answered_at from responses");
        service.Clock.Advance(TimeSpan.FromMinutes(5));
        (await ScoreClicks.ClickAsync(service.Host.Http, links[3])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await service.ScalarAsync<DateTime>("select updated_at from responses")).ShouldBe(firstAnswer);

        // The page of another score says the answer will change, and its answer changes it.
        (await service.Host.Http.GetStringAsync(links[8])).ShouldContain("updated your answer");
        (await ScoreClicks.ClickAsync(service.Host.Http, links[8])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(1);
        (await service.ScalarAsync<int>("select score from responses")).ShouldBe(8);
        (await service.ScalarAsync<DateTime>("select answered_at from responses")).ShouldBe(firstAnswer);
        (await service.ScalarAsync<string>($"select {InvitationState.EffectiveSql()} from invitations")).ShouldBe("answered");
    }

    [Fact]
    public async Task CustomerPages_EveryAnswer_SendsNoReferrerIsNotStoredAndCannotBeFramed()
    {
        var (service, links, message) = await SentSurveyAsync();
        await using var _ = service;
        var http = service.Host!.Http;
        var unsubscribe = new Uri(message.Headers[MimeKit.HeaderId.ListUnsubscribe]!.Trim().Trim('<', '>'));
        using var page = await http.GetAsync(links[9]);
        var html = await page.Content.ReadAsStringAsync();
        var answers = new (string What, HttpResponseMessage Response)[]
        {
            ("score page", page),
            ("answer", await http.PostAsync(new Uri(links[9] + "/answer"), null)),
            ("form", await http.PostAsync(links[9], new FormUrlEncodedContent([new("comment", "ok")]))),
            ("tampered link", await http.GetAsync("/s/not-a-token")),
            ("unsubscribe page", await http.GetAsync(unsubscribe)),
            ("unsubscribed", await http.PostAsync(unsubscribe, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]))),
        };
        foreach (var (what, response) in answers)
        {
            response.Headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer", what);
            response.Headers.CacheControl!.NoStore.ShouldBeTrue(what);
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            csp.ShouldContain("frame-ancestors 'none'", Case.Sensitive, what);
            csp.ShouldStartWith("default-src 'none';", Case.Sensitive, what);
            csp.ShouldNotContain("unsafe", Case.Sensitive, what);
        }
        // The page's one script is allowed by its hash, and nothing else is.
        var script = System.Text.RegularExpressions.Regex.Match(html, "<script>(.*?)</script>", System.Text.RegularExpressions.RegexOptions.Singleline).Groups[1].Value;
        var hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(script)));
        page.Headers.GetValues("Content-Security-Policy").Single().ShouldContain($"script-src 'sha256-{hash}';");
        foreach (var (_, response) in answers)
            response.Dispose();
    }

    [Fact]
    public async Task PageReads_ManyAtOnce_AreGroupedAndEachGetsItsOwnInvitation()
    {
        var (service, _, _) = await SentSurveyAsync();
        await using var _ = service;
        var reads = service.Host!.Services.GetRequiredService<Ingest.Replies.Pages.SurveyPageReads>();
        var known = await service.ScalarAsync<Guid>("select id from invitations");
        var ids = Enumerable.Range(0, 600).Select(i => i % 3 == 0 ? known : Guid.NewGuid()).ToList();
        var states = await Task.WhenAll(ids.Select(id => reads.ReadAsync(id, CancellationToken.None)));
        for (var i = 0; i < ids.Count; i++)
            if (ids[i] == known)
                states[i].ShouldNotBeNull().ShouldSatisfyAllConditions(s => s.Survey.ShouldBe("delivery"), s => s.Open.ShouldBeTrue());
            else
                states[i].ShouldBeNull();
    }

    [Fact]
    public async Task ScoreLink_Tampered_Gets400PageAndRecordsNothing()
    {
        var (service, links, _) = await SentSurveyAsync();
        await using var _ = service;
        var text = links[10].ToString();
        var flipped = text[..^5] + (text[^5] == 'A' ? 'B' : 'A') + text[^4..];
        var response = await service.Host!.Http.GetAsync(new Uri(flipped));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await response.Content.ReadAsStringAsync()).ShouldContain("not valid");
        (await service.Host.Http.GetAsync("/s/not-a-token")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(0);
    }

    [Fact]
    public async Task ScoreLink_AfterExpiry_Gets410PageAndRecordsNothing()
    {
        var (service, links, _) = await SentSurveyAsync();
        await using var _ = service;
        service.Clock.Advance(TimeSpan.FromDays(30) + TimeSpan.FromSeconds(1));
        var response = await service.Host!.Http.GetAsync(links[9]);
        response.StatusCode.ShouldBe(HttpStatusCode.Gone);
        (await response.Content.ReadAsStringAsync()).ShouldContain("closed");
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(0);
        await service.WaitForCountAsync("select count(*) from invitations where state = 'expired'", 1);
    }

    [Fact]
    public async Task Unsubscribe_GetDoesNothingAndPostSuppressesTheNextSurvey()
    {
        var (service, _, message) = await SentSurveyAsync();
        await using var _ = service;
        var target = new Uri(message.Headers[MimeKit.HeaderId.ListUnsubscribe]!.Trim().Trim('<', '>'));
        (await service.Host!.Http.GetAsync(target)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await service.ScalarAsync<long>("select count(*) from suppressions")).ShouldBe(0);

        var post = await service.Host.Http.PostAsync(target, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        post.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await service.ScalarAsync<string>("select address from suppressions where channel = 'email'")).ShouldBe("anna@example.com");

        await service.PublishAsync(BusinessEvents.Binary("evt-next", "order.delivered", BusinessEvents.OrderDelivered("556"), service.Clock.GetUtcNow()));
        await service.WaitForCountAsync("select count(*) from invitations", 2);
        service.Clock.Advance(TimeSpan.FromDays(14));
        await service.WaitForCountAsync("select count(*) from invitations where state = 'suppressed'", 1);
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count.ShouldBe(1);
    }
}
