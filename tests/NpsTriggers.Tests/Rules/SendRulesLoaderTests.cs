using NpsTriggers.Core.Rules;

namespace NpsTriggers.Tests.Rules;

public sealed class SendRulesLoaderTests
{
    private const string Valid = """
        version: 1
        surveys:
          delivery:
            subject: '{{ recipient.name | default: "Hello" }}, how was order #{{ data.orderId }}?'
            question: How likely are you to recommend us?
        rules:
          - name: delivered
            on: [order.delivered, order.collected]
            survey: delivery
            delay: 14d
            channel: email
            keep: [orderId, product]
        """;

    [Fact]
    public void Parse_ValidFile_MapsRulesAndDefaults()
    {
        var rules = SendRulesLoader.Parse(Valid, "rules.yaml");
        var rule = rules.Rules.ShouldHaveSingleItem();
        rule.Delay.ShouldBe(TimeSpan.FromDays(14));
        rule.Expiry.ShouldBe(TimeSpan.FromDays(30));
        rule.Keep.ShouldBe(["orderId", "product"]);
        rules.For("order.collected").ShouldHaveSingleItem().Name.ShouldBe("delivered");
        rules.For("order.returned").ShouldBeEmpty();
        rules.Surveys["delivery"].Why.Source.ShouldBe("What is the main reason for your score?");
    }

    [Fact]
    public void Parse_ShippedSampleFile_IsValid()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "send-rules.yaml");
        var rules = SendRulesLoader.Load(path);
        rules.For("order.delivered").ShouldHaveSingleItem().Delay.ShouldBe(TimeSpan.FromDays(14));
        rules.For("ticket.closed").ShouldHaveSingleItem();
    }

    [Fact]
    public void Parse_SeveralMistakes_ReportsEachWithFileLineAndColumn()
    {
        var yaml = """
            version: 1
            surveys:
              delivery:
                subject: "Order {{ data.orderId }}"
                question: Q?
                colour: blue
            rules:
              - name: a
                on: order.delivered
                survey: nope
                delay: fortnight
              - name: a
                on: order.delivered
                survey: delivery
                channel: pigeon
            """;
        var error = Should.Throw<RulesValidationException>(() => SendRulesLoader.Parse(yaml, "ops/rules.yaml"));
        error.Errors.ShouldContain(e => e.StartsWith("ops/rules.yaml:6:5: unknown key 'colour'", StringComparison.Ordinal));
        error.Errors.ShouldContain(e => e.StartsWith("ops/rules.yaml:10:13:", StringComparison.Ordinal) && e.Contains("survey 'nope' is not defined"));
        error.Errors.ShouldContain(e => e.StartsWith("ops/rules.yaml:11:12:", StringComparison.Ordinal) && e.Contains("'delay: fortnight' is not a duration"));
        error.Errors.ShouldContain(e => e.Contains("rule name 'a' is used twice"));
        error.Errors.ShouldContain(e => e.StartsWith("ops/rules.yaml:15:14:", StringComparison.Ordinal) && e.Contains("channel 'pigeon'"));
        error.Errors.ShouldContain(e => e.Contains("uses 'data.orderId', which rule 'a' does not keep"));
        error.Message.ShouldContain("ops/rules.yaml:6:5");
    }

    [Theory]
    [InlineData("version: 2\nsurveys: {}\nrules: []", "version 2 is not supported")]
    [InlineData("surveys: {}\nrules: []", "'version' is required")]
    [InlineData("version: 1\nsurveys: {}\nrules: {}", "'rules' must be a list")]
    [InlineData("version: 1\nsurveys:\n  s:\n    subject: \"{{ order.id }}\"\n    question: q\nrules: []", "must be recipient.<field> or data.<field>")]
    [InlineData("version: 1\nsurveys:\n  s:\n    subject: \"{{ recipient.shoeSize }}\"\n    question: q\nrules: []", "is not a recipient field")]
    [InlineData("version: 1\nsurveys:\n  s:\n    subject: \"{{ data.x \"\n    question: q\nrules: []", "malformed")]
    [InlineData("version: 1\nsurveys: [\n", "rules.yaml:")]
    public void Parse_InvalidFile_SaysWhy(string yaml, string expected)
    {
        var error = Should.Throw<RulesValidationException>(() => SendRulesLoader.Parse(yaml, "rules.yaml"));
        error.Message.ShouldContain(expected);
    }

    [Fact]
    public void Load_MissingFile_NamesThePath()
    {
        var error = Should.Throw<RulesValidationException>(() => SendRulesLoader.Load("/nowhere/rules.yaml"));
        error.Message.ShouldContain("/nowhere/rules.yaml");
    }
}
