using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using NpsTriggers.Dispatch.Scheduling;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Privacy;

/// <summary>
/// Issue 18, item 5: erasure leaves nothing. One person, known by a mixed-case email, an older address that bounced, a
/// customer id and a phone, reached by an event-triggered survey, a relational programme, a dead letter and an SMS
/// reply, is erased by the email in another case; afterwards no table of either schema, the outbox included, holds any
/// form of any of their identifiers, and their survey links say the survey has closed.
/// </summary>
public sealed class CompleteErasureTests
{
    private const string Email = "Zebulon.Quist@Example.com";
    private const string Bounced = "Z.Quist@Old-Mail.example";
    private const string Customer = "c-ZQ-7731";
    private const string Phone = "+4915112349876";

    private const string Yaml = """
        version: 1
        throttle: { global: 1s, survey: 1s }
        surveys:
          delivery: { subject: 'Order #{{ data.orderId }}', question: How likely are you to recommend Acme? }
          support: { subject: 'Hi {{ recipient.name }},', question: how likely are you to recommend Acme support? }
          relationship: { subject: 'How are we doing?', question: How likely are you to recommend Acme? }
        rules:
          - { name: delivered, on: order.delivered, survey: delivery, keep: [orderId, note], reminders: { count: 0 } }
          - { name: vip-only, on: order.delivered, survey: delivery, keep: [orderId], when: { field: data.note, eq: nobody }, reminders: { count: 0 } }
          - { name: ticket-sms, on: ticket.closed, survey: support, channel: sms, reminders: { count: 0 } }
          - { name: quarterly, every: 90d, survey: relationship, reminders: { count: 0 } }
        """;

    /// <summary>An order; the person's own carry a note quoting their address, which a rule keeps and another quotes in a decision.</summary>
    private static object Order(string orderId, string email, string customer = Customer) => new
    {
        recipient = new { customerId = customer, email, name = "Zebulon", locale = "en-GB" },
        orderId,
        note = customer == Customer ? $"VIP, write to {Email}" : "regular",
    };

    [Fact]
    public async Task Erase_MixedCaseEmailReachedByTriggerRelationalDeadLetterAndSms_LeavesNoFormOfAnyIdentifier()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile(Yaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(twilio.Settings), smtpFailRecipients: "(?i)old-mail");
        async Task StepAsync(string sql, long count)
        {
            try
            {
                await service.WaitForCountAsync(sql, count);
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException(e.Message + "; invitations: " + await service.ScalarAsync<string>(
                    "select string_agg(concat_ws(' ', rule, state, failure_reason), '; ') from invitations"), e);
            }
            service.Clock.Advance(TimeSpan.FromMinutes(1)); // past the 1 s recontact period
        }

        // An old address that bounces (its refusal quotes it), then the current one; a stranger; a broken record.
        await service.PublishAsync(BusinessEvents.Binary("zq-old", "order.delivered", Order("ZQ-1", Bounced), service.Clock.GetUtcNow()));
        await StepAsync("select count(*) from invitations where state = 'failed'", 1);
        await service.PublishAsync(
            BusinessEvents.Binary("zq-now", "order.delivered", Order("ZQ-2", Email), service.Clock.GetUtcNow()),
            BusinessEvents.Binary("other", "order.delivered", Order("OT-1", "other@example.com", "c-other"), service.Clock.GetUtcNow()),
            BusinessEvents.Raw(Encoding.UTF8.GetBytes($$"""{"specversion":"1.0","id":"zq-bad","data":{"recipient":{"email":"{{Email.ToUpperInvariant()}}"}"""),
                ("content-type", "application/cloudevents+json")));
        await service.WaitForCountAsync("select count(*) from dead_letters", 1);
        await StepAsync("select count(*) from invitations where state = 'sent'", 2);
        // The same person by SMS, known there by customer id and phone only.
        await service.PublishAsync(BusinessEvents.Structured("zq-ticket", "ticket.closed",
            new { recipient = new { customerId = Customer, phone = Phone, name = "Zebulon" }, ticketId = "T-9" }, service.Clock.GetUtcNow()));
        await StepAsync("select count(*) from invitations where channel = 'sms' and state = 'sent'", 1);
        // The relational programme reaches everyone known, the person by their latest address.
        using (var scope = service.Host!.Services.CreateScope())
            (await scope.ServiceProvider.GetRequiredService<RelationalProgrammeJob>().RunAsync(CancellationToken.None)).ShouldBe(2);
        await StepAsync("select count(*) from invitations where rule = 'quarterly' and state = 'sent'", 2);
        (await service.ScalarAsync<string>($"select event_id from invitations where rule = 'quarterly' and lower(email) = lower('{Email}')"))
            .ShouldMatch("^quarterly:h[0-9a-f]{32}:[0-9]+$");

        // The person answers the email with a comment, and the SMS with a score and their address.
        var mail = await service.Smtp.WaitForMessagesAsync(4, TimeSpan.FromSeconds(30));
        var links = EndToEndTests.ScoreLinks(mail.First(m => m.Subject == "Order #ZQ-2"), service.Host.BaseAddress);
        (await ScoreClicks.ClickAsync(service.Host.Http, links[3])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await service.Host.Http.PostAsync(links[3], new FormUrlEncodedContent([new("comment", $"Write to {Email.ToLowerInvariant()}")])))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        (await twilio.SendInboundAsync(new Uri(service.Host.BaseAddress, "/twilio/inbound"), Phone, $"2 reach me at {Email}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await service.WaitForCountAsync("select count(*) from responses", 2);
        var npsBefore = await service.Host.Ops.GetStringAsync("/api/nps");

        var identifiers = new[] { Email, Bounced, Customer, Phone };
        foreach (var identifier in identifiers)
            (await PersonTraces.TablesAsync(service, identifier)).ShouldNotBeEmpty(identifier);
        (await PersonTraces.TablesAsync(service, Bounced)).ShouldContain("public.invitations"); // the refusal quotes it in failure_reason
        // Decisions keep the phone (issue 22): found by it, exported with it, and erased with the rest.
        (await PersonTraces.TablesAsync(service, Phone)).ShouldContain("public.decisions");
        var byPhone = await service.Host.Ops.GetFromJsonAsync<List<System.Text.Json.JsonElement>>("/api/decisions?phone=" + Uri.EscapeDataString(Phone));
        byPhone!.Where(d => d.GetProperty("rule").GetString() == "ticket-sms").Select(d => d.GetProperty("outcome").GetString()).ShouldBe(["sent", "scheduled"]);
        var exported = await service.Host.Ops.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/privacy/export?phone=" + Uri.EscapeDataString(Phone));
        exported.GetProperty("decisions").EnumerateArray().Count(d => d.GetProperty("phone").GetString() == Phone).ShouldBeGreaterThanOrEqualTo(2);

        using (var erase = await service.Host.Ops.PostAsync("/api/privacy/erasures",
            new StringContent($$"""{"email":"{{Email.ToLowerInvariant()}}"}""", Encoding.UTF8, "application/json")))
            erase.StatusCode.ShouldBe(HttpStatusCode.OK);

        foreach (var identifier in identifiers)
            (await PersonTraces.TablesAsync(service, identifier)).ShouldBeEmpty($"{identifier} survived the erasure");
        (await service.Host.Ops.GetStringAsync("/api/nps")).ShouldBe(npsBefore);
        (await service.Host.Ops.GetFromJsonAsync<List<System.Text.Json.JsonElement>>("/api/decisions?phone=" + Uri.EscapeDataString(Phone)))!.ShouldBeEmpty();
        (await PersonTraces.TablesAsync(service, "other@example.com")).ShouldNotBeEmpty(); // someone else's data is untouched

        // The erased person's links now say the survey has closed, and record nothing.
        using (var page = await service.Host.Http.GetAsync(links[9]))
        {
            page.StatusCode.ShouldBe(HttpStatusCode.Gone);
            (await page.Content.ReadAsStringAsync()).ShouldContain("This survey has closed");
        }
        (await service.Host.Http.PostAsync(new Uri(links[9] + "/answer"), null)).StatusCode.ShouldBe(HttpStatusCode.Gone);
        (await service.ScalarAsync<long>("select count(*) from responses where score = 9")).ShouldBe(0);
    }
}
