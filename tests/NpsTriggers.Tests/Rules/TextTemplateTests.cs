using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;

namespace NpsTriggers.Tests.Rules;

public sealed class TextTemplateTests
{
    private static TextTemplate T(string source) => TextTemplate.TryParse(source, out var error) ?? throw new ArgumentException(error);

    private static Invitation Person(string? name, string? locale, string? zone, string attributes = "{}") =>
        new(Guid.Parse("0194f3a2-0000-7000-8000-00000000abcd"), "/shop", "evt-1", "order.delivered", "delivered", "delivery",
            InvitationChannel.Email, "c-1", "anna@example.com", "+4915112345678", name, locale, zone, attributes, TimeSpan.FromDays(14));

    [Fact]
    public void Render_PreLiquidSyntax_RendersAsBefore()
    {
        var template = T("""{{ recipient.name | default: "Hello" }}, how was order #{{data.orderId}}?""");
        template.Paths.ShouldBe(["recipient.name", "data.orderId"]);
        template.Render(p => p == "recipient.name" ? "Anna" : "1234").ShouldBe("Anna, how was order #1234?");
        template.Render(p => p == "recipient.name" ? " " : "1234").ShouldBe("Hello, how was order #1234?");
        template.Render(_ => null).ShouldBe("Hello, how was order #?");
    }

    [Theory]
    [InlineData("No placeholders {here}", "No placeholders {here}")]
    [InlineData("{{recipient.name}}", "Anna")]
    [InlineData("{{ recipient.name|default:\"x\" }}!", "Anna!")]
    [InlineData("{{ data.missing | default: \"none\" }}", "none")]
    [InlineData("{{ data.missing }}", "")]
    [InlineData("Order {{ data.orderId }} ({{ data.total }})", "Order 1234 (42.5)")]
    [InlineData("{{ recipient.timeZone }} {{ recipient.locale }}", "Europe/Berlin de-DE")]
    public void Render_PreLiquidExamples_RenderTheSameForAnInvitation(string source, string expected) =>
        T(source).Render(TemplateValues.For(Person("Anna", "de-DE", "Europe/Berlin", """{"orderId": "1234", "total": 42.5}"""))).ShouldBe(expected);

    [Theory]
    [InlineData("{% if data.total > 40 %}big{% else %}small{% endif %} order", "big order")]
    [InlineData("{{ recipient.name | upcase }}", "ANNA")]
    [InlineData("{{ data.note | truncate: 10 }}", "A very ...")]
    [InlineData("{% unless data.express %}standard{% endunless %}", "standard")]
    [InlineData("{% for item in data.items %}{{ item.sku }}{% unless forloop.last %}, {% endunless %}{% endfor %}", "A1, B2")]
    [InlineData("{% assign first = recipient.name | split: ' ' | first %}Hi {{ first }}", "Hi Anna")]
    [InlineData("{{ recipient.name }}: <b>", "Anna Maria: <b>")]
    public void Render_LiquidFeatures_Work(string source, string expected) =>
        T(source).Render(TemplateValues.For(Person(name: source.Contains("assign", StringComparison.Ordinal) || source.Contains("<b>", StringComparison.Ordinal) ? "Anna Maria" : "Anna",
            "en", "UTC", """{"total": 42.5, "express": false, "note": "A very long note indeed", "items": [{"sku": "A1"}, {"sku": "B2"}]}""")))
            .ShouldBe(expected);

    [Theory]
    [InlineData("ja", "Asia/Tokyo", "12月 2日 水曜日 02:30")]
    [InlineData("de", "Europe/Berlin", "Dezember 1. Dienstag 18:30")]
    public void Render_Date_UsesTheRecipientsZoneAndLanguage(string locale, string zone, string expected)
    {
        // 17:30 UTC on 1 December 2026 is already the 2nd in Tokyo, still the 1st in Berlin.
        var values = TemplateValues.For(Person("Anna", locale, zone, """{"deliveredAt": "2026-12-01T17:30:00Z"}"""));
        var format = locale == "ja" ? "%B %-d日 %A %H:%M" : "%B %-d. %A %H:%M";
        T($"{{{{ data.deliveredAt | date: \"{format}\" }}}}").Render(values).ShouldBe(expected);
    }

    [Fact]
    public void Render_MarkupInAValue_IsNotEncoded()
    {
        // Plain text for SMS and text parts; the email's HTML part escapes the whole rendered text (EmailComposer).
        T("Thanks, {{ recipient.name }}!").Render(TemplateValues.For(Person("<b>Bob</b> & co", "en", "UTC"))).ShouldBe("Thanks, <b>Bob</b> & co!");
    }

    [Fact]
    public void Paths_VariablesInConditionsLoopsAndFilterArguments_AreAllCollected()
    {
        var template = T("{% if data.vip %}{% for i in data.items %}{{ i }}{% endfor %}{% endif %}{{ recipient.name | default: data.nickname }}{% case data['tier'] %}{% when 'a' %}A{% endcase %}");
        template.Paths.ShouldBe(["data.vip", "data.items", "recipient.name", "data.nickname", "data.tier"]);
    }

    [Theory]
    [InlineData("Hi {{ order.id }}", "'order' is not a value a survey text can use (use recipient.<field> or data.<field>) (text line 1, column 7)")]
    [InlineData("Hi\n{% if recipient.shoeSize %}x{% endif %}", "'recipient.shoeSize' is not a recipient field (known: customerId, email, phone, name, locale, timeZone) (text line 2, column 7)")]
    [InlineData("Hi {{ data }}", "'data' must be followed by a field name, like data.orderId (text line 1, column 7)")]
    [InlineData("one\ntwo {{ data.x ", "End of tag '}}' was expected (text line 2, column 14)")]
    [InlineData("one\n{% iff data.x %}", "Unknown tag 'iff' (text line 2, column 7)")]
    [InlineData("a {% if data.x %} b", "'{% endif %}' was expected (text line 1, column 20)")]
    [InlineData("{% include 'other' %}", "the 'include' tag is not available in survey texts (text line 1, column 4)")]
    public void TryParse_BadText_SaysWhatAndWhereInTheText(string source, string expected)
    {
        TextTemplate.TryParse(source, out var error).ShouldBeNull();
        error.ShouldBe(expected);
    }
}
