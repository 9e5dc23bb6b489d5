using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Email;

/// <summary>Survey texts are plain text: the HTML part escapes values (and wording) once, the text part keeps them as they are.</summary>
public sealed class EmailTextEscapingTests
{
    private const string Yaml = """
        version: 1
        surveys:
          delivery:
            subject: 'Order #{{ data.orderId }} for {{ recipient.name }}'
            intro: 'Thanks, {{ recipient.name }}!{% if data.amount > 50 %} Enjoy your {{ data.product | downcase }}.{% endif %}'
            question: How likely are you to recommend Acme?
        rules:
          - { name: delivered, on: order.delivered, survey: delivery, keep: [orderId, amount, product], reminders: { count: 0 } }
        """;

    [Fact]
    public async Task Send_NameWithMarkup_ArrivesEscapedInHtmlAndRawInText()
    {
        using var rules = new RulesFile(Yaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        await service.PublishAsync(BusinessEvents.Binary("o-markup", "order.delivered",
            BusinessEvents.OrderDelivered("77", "bob@example.com", "<b>Bob</b> & Co"), ServiceUnderTest.Start));

        var mail = (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(20))).Single();
        mail.Subject.ShouldBe("Order #77 for <b>Bob</b> & Co");
        var (text, html) = (mail.TextBody!, mail.HtmlBody!);
        text.ShouldContain("Thanks, <b>Bob</b> & Co! Enjoy your trail shoes.", Case.Sensitive);
        html.ShouldContain("Thanks, &lt;b&gt;Bob&lt;/b&gt; &amp; Co! Enjoy your trail shoes.", Case.Sensitive);
        html.ShouldNotContain("<b>Bob</b>", Case.Sensitive);
        html.ShouldNotContain("&amp;lt;", Case.Sensitive); // escaped once, not twice
    }
}
