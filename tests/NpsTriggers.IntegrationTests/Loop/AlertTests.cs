using System.Net;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Loop;

/// <summary>Closing the loop: alerts to webhooks from the outbox, over real HTTP.</summary>
public sealed class AlertTests
{
    [Fact]
    public async Task Alert_WebhookFailsThenRecovers_DeliversTheLatestMatchingChangeOnceWithSlackPayload()
    {
        await using var support = new WebhookReceiver(failFirst: 3);
        await using var everyone = new WebhookReceiver(failFirst: 0);
        var settings = new Dictionary<string, string?>(OutboxPublisherTests.FastOutbox)
        {
            ["Alerts:Webhooks:support:Url"] = support.Url,
            ["Alerts:Webhooks:support:Categories:0"] = "detractor",
            ["Alerts:Webhooks:all:Url"] = everyone.Url,
            ["Alerts:Webhooks:all:Categories:0"] = "detractor",
            ["Alerts:Webhooks:all:Categories:1"] = "passive",
            ["Alerts:Webhooks:all:Categories:2"] = "promoter",
            ["Alerts:Delay"] = "00:00:01",
        };
        await using var service = await ServiceUnderTest.StartAsync(settings);
        var links = await SentSurveys.SendAsync(service, "D1", "P2");
        var http = service.Host!.Http;

        (await http.PostAsync(links["D1"][2], new FormUrlEncodedContent([new("comment", "Box <crushed> & late")]))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ScoreClicks.ClickAsync(http, links["P2"][10])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var d1 = await SentSurveys.InvitationIdAsync(service, "D1");

        // D1's click and comment are two changes within the alert delay: the second replaces the first, so each hook
        // alerts once for D1, with the comment. The support hook takes detractors only, the other hook everything.
        await service.WaitForCountAsync("select count(*) from outbox where destination like 'webhook:%' and state = 'delivered'", 3, TimeSpan.FromSeconds(60));
        (await service.ScalarAsync<long>("select count(*) from outbox where destination like 'webhook:%' and state = 'superseded'")).ShouldBe(2);
        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(3); // Kafka gets every change
        support.Count.ShouldBe(4); // 3 failures, then the alert
        support.Accepted.Select(a => a.EventId).ShouldBe([$"{d1}:2"]);
        everyone.Accepted.Count.ShouldBe(2);
        (await service.ScalarAsync<long>("select max(attempts) from outbox where destination = 'webhook:support'")).ShouldBeGreaterThan(1);

        var alert = support.Accepted.Single(a => a.EventId == $"{d1}:2").Body;
        alert.GetProperty("text").GetString().ShouldBe("Detractor: 2/10 on survey delivery (updated): \u201CBox &lt;crushed&gt; &amp; late\u201D");
        var blocks = alert.GetProperty("blocks").EnumerateArray().ToList();
        blocks[0].GetProperty("type").GetString().ShouldBe("header");
        blocks[1].GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("text").GetString()).ShouldBe(
            ["*Score*\n2", "*Survey*\ndelivery", "*Channel*\nemail", "*Customer*\nc-D1"]);
        blocks[2].GetProperty("text").GetProperty("text").GetString().ShouldBe("> Box &lt;crushed&gt; &amp; late");
        blocks[3].GetProperty("elements")[0].GetProperty("text").GetString()!.ShouldContain("orderId: D1");

        // Delivered alerts stay delivered: a later alert to the same hook is the only request that follows. Rows are
        // claimed oldest first, so one delivered again would be sent no later than this one, and once no webhook row is
        // open every request has been answered.
        var requests = support.Count;
        await using (var later = service.DataSource.CreateCommand("""
            insert into outbox (event_id, destination, event_type, partition_key, payload, created_at)
            select 'later', destination, event_type, partition_key, payload, now() from outbox
            where destination = 'webhook:support' and state = 'delivered'
            """))
            (await later.ExecuteNonQueryAsync()).ShouldBe(1);
        await service.WaitForCountAsync("select count(*) from outbox where event_id = 'later' and state = 'delivered'", 1);
        await Eventually.Until(() => service.ScalarAsync<long>("select count(*) from outbox where destination like 'webhook:%' and state in ('pending', 'sending')"),
            open => open == 0, what: "no webhook row open");
        support.Count.ShouldBe(requests + 1);
        support.Accepted.Select(a => a.EventId).ShouldBe([$"{d1}:2", "later"]);
    }
}
