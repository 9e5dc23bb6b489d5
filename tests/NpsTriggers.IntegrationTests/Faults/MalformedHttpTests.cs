using System.Net;
using System.Net.Http.Headers;
using System.Text;
using NpsTriggers.IntegrationTests.Loop;
using NpsTriggers.Testing;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.IntegrationTests.Faults;

/// <summary>
/// A corpus of malformed requests against every public HTTP surface (bad or missing keys and tokens, wrong content
/// types, broken and oversized bodies, forged Twilio signatures): each gets a clear 4xx, never a 5xx, and changes
/// nothing (no response, suppression, opt-out, outbox record or invitation appears).
/// </summary>
public sealed class MalformedHttpTests
{
    private const string ApiKey = TestKeys.Integration;
    private const string AdminKey = TestKeys.Admin;
    private const string EventsKey = TestKeys.Events;

    private sealed record Case(string Name, HttpMethod Method, string Path, string? ContentType, byte[]? Body, HttpStatusCode Expected,
        bool Problem = true, (string Name, string Value)[]? Headers = null);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static IEnumerable<Case> Corpus(string token, Guid invitation)
    {
        var api = new[] { ("X-Api-Key", ApiKey) };
        var admin = new[] { ("X-Api-Key", AdminKey) };
        var events = new[] { ("X-Api-Key", EventsKey) };
        var huge = new byte[5 * 1024 * 1024];
        Array.Fill(huge, (byte)'7');
        var forged = new[] { ("X-Twilio-Signature", "bm90LWEtc2lnbmF0dXJl") };
        const string Form = "application/x-www-form-urlencoded";
        var score = $$"""{"invitationId":"{{invitation}}","score":9}""";

        // Events API
        yield return new("events: no key", HttpMethod.Post, "/api/events", "application/cloudevents+json", Utf8("{}"), HttpStatusCode.Unauthorized);
        yield return new("events: wrong key", HttpMethod.Post, "/api/events", "application/cloudevents+json", Utf8("{}"), HttpStatusCode.Unauthorized, Headers: [("X-Api-Key", "wrong-key-0123456789abcdefghijklmnopq")]);
        yield return new("events: text/plain", HttpMethod.Post, "/api/events", "text/plain", Utf8("{}"), HttpStatusCode.UnsupportedMediaType, Headers: events);
        yield return new("events: truncated JSON", HttpMethod.Post, "/api/events", "application/cloudevents+json", Utf8("""{"specversion":"1.0","id":"""), HttpStatusCode.BadRequest, Headers: events);
        yield return new("events: invalid UTF-8", HttpMethod.Post, "/api/events", "application/cloudevents+json", [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], HttpStatusCode.BadRequest, Headers: events);
        yield return new("events: batch that is not an array", HttpMethod.Post, "/api/events", "application/cloudevents-batch+json", Utf8("{}"), HttpStatusCode.BadRequest, Headers: events);
        yield return new("events: oversized", HttpMethod.Post, "/api/events", "application/cloudevents+json", huge, HttpStatusCode.RequestEntityTooLarge, Headers: events);

        // Response API
        yield return new("responses: no key", HttpMethod.Post, "/api/responses", "application/json", Utf8(score), HttpStatusCode.Unauthorized);
        yield return new("responses: text/plain", HttpMethod.Post, "/api/responses", "text/plain", Utf8(score), HttpStatusCode.UnsupportedMediaType, Headers: api);
        yield return new("responses: truncated JSON", HttpMethod.Post, "/api/responses", "application/json", Utf8(score[..20]), HttpStatusCode.BadRequest, Headers: api);
        yield return new("responses: score of the wrong type", HttpMethod.Post, "/api/responses", "application/json", Utf8($$"""{"invitationId":"{{invitation}}","score":"nine"}"""), HttpStatusCode.BadRequest, Headers: api);
        yield return new("responses: score out of range", HttpMethod.Post, "/api/responses", "application/json", Utf8($$"""{"invitationId":"{{invitation}}","score":11}"""), HttpStatusCode.BadRequest, Headers: api);
        yield return new("responses: oversized", HttpMethod.Post, "/api/responses", "application/json", huge, HttpStatusCode.RequestEntityTooLarge, Headers: api);

        // Survey pages and one-click unsubscribe
        yield return new("survey: forged token", HttpMethod.Get, $"/s/{token[..^4]}AAAA", null, null, HttpStatusCode.BadRequest, Problem: false);
        yield return new("survey: forged token, posted", HttpMethod.Post, $"/s/{token[..^4]}AAAA", Form, Utf8("score=9"), HttpStatusCode.BadRequest, Problem: false);
        yield return new("survey: score out of range", HttpMethod.Post, $"/s/{token}", Form, Utf8("score=42"), HttpStatusCode.BadRequest, Problem: false);
        yield return new("survey: JSON instead of a form", HttpMethod.Post, $"/s/{token}", "application/json", Utf8("""{"score":9}"""), HttpStatusCode.UnsupportedMediaType, Problem: false);
        yield return new("survey: oversized form", HttpMethod.Post, $"/s/{token}", Form, huge, HttpStatusCode.RequestEntityTooLarge);
        yield return new("unsubscribe: forged token", HttpMethod.Post, $"/u/{token[..^4]}AAAA", Form, Utf8("List-Unsubscribe=One-Click"), HttpStatusCode.BadRequest, Problem: false);

        // Twilio webhooks
        var inbound = Utf8($"From=%2B447700900123&To=%2B15005550006&Body=STOP&MessageSid=SM1&AccountSid=AC00000000000000000000000000000001");
        yield return new("twilio inbound: no signature", HttpMethod.Post, "/twilio/inbound", Form, inbound, HttpStatusCode.Forbidden);
        yield return new("twilio inbound: forged signature", HttpMethod.Post, "/twilio/inbound", Form, inbound, HttpStatusCode.Forbidden, Headers: forged);
        yield return new("twilio status: forged signature", HttpMethod.Post, $"/twilio/status?invitation={invitation:N}", Form,
            Utf8("MessageSid=SM1&MessageStatus=delivered&AccountSid=AC00000000000000000000000000000001"), HttpStatusCode.Forbidden, Headers: forged);
        yield return new("twilio inbound: oversized", HttpMethod.Post, "/twilio/inbound", Form, huge, HttpStatusCode.RequestEntityTooLarge, Headers: forged);

        // Ops APIs
        yield return new("suppressions: no key", HttpMethod.Post, "/api/suppressions", "application/json", Utf8("""{"channel":"email","address":"a@example.com"}"""), HttpStatusCode.Unauthorized);
        yield return new("suppressions: truncated JSON", HttpMethod.Post, "/api/suppressions", "application/json", Utf8("""{"channel":"em"""), HttpStatusCode.BadRequest, Headers: admin);
        yield return new("erasure: no key", HttpMethod.Post, "/api/privacy/erasures", "application/json", Utf8("""{"email":"a@example.com"}"""), HttpStatusCode.Unauthorized);
        yield return new("report: unknown interval", HttpMethod.Get, "/api/reports/nps?interval=fortnight", null, null, HttpStatusCode.BadRequest, Headers: admin);
    }

    [Fact]
    public async Task MalformedRequests_GetAClearClientError_AndChangeNothing()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?>
        {
            ["Api:Keys:0"] = ApiKey,
            ["Admin:ApiKeys:0"] = AdminKey,
            ["EventsApi:ApiKeys:0"] = EventsKey,
            ["Twilio:AccountSid"] = TwilioStandIn.AccountSid,
            ["Twilio:AuthToken"] = TwilioStandIn.AuthToken,
            ["Twilio:From"] = TwilioStandIn.From,
            ["Twilio:BaseAddress"] = twilio.BaseAddress.ToString(),
        });
        var links = await SentSurveys.SendAsync(service, "M1");
        var token = links["M1"][9].Segments[^1];
        var invitation = await SentSurveys.InvitationIdAsync(service, "M1");
        const string Effects = "select (select count(*) from responses) + (select count(*) from suppressions) + (select count(*) from outbox)" +
                               " + (select count(*) from response_events)" +
                               " + (select count(*) from invitations) + (select count(*) from dead_letters)";
        var before = await service.ScalarAsync<long>(Effects);

        var failures = new List<string>();
        foreach (var c in Corpus(token, invitation))
        {
            using var request = new HttpRequestMessage(c.Method, c.Path);
            if (c.Body is not null)
            {
                request.Content = new ByteArrayContent(c.Body);
                if (c.ContentType is not null)
                    request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(c.ContentType);
            }
            // A body over the limit is refused before it is read; asking to continue lets the client hear that
            // instead of writing megabytes into a connection the server is closing.
            request.Headers.ExpectContinue = c.Body is { Length: > 64 * 1024 };
            foreach (var (name, value) in c.Headers ?? [])
                request.Headers.TryAddWithoutValidation(name, value);
            using var response = await service.Host!.Http.SendAsync(request);
            var type = response.Content.Headers.ContentType?.MediaType;
            if (response.StatusCode != c.Expected)
                failures.Add($"{c.Name}: expected {(int)c.Expected}, got {(int)response.StatusCode}");
            else if (c.Problem && type != "application/problem+json")
                failures.Add($"{c.Name}: expected problem details, got {type ?? "no body"}");
        }
        failures.ShouldBeEmpty();
        (await service.ScalarAsync<long>(Effects)).ShouldBe(before);
        (await service.ScalarAsync<string>($"select {InvitationState.EffectiveSql()} from invitations where id = @id", ("id", invitation))).ShouldBe("sent");
    }
}
