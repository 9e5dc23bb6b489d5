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
        rules.Surveys["delivery"].Default.Why.Source.ShouldBe("What is the main reason for your score?");
    }

    [Fact]
    public void Parse_Locales_FallBackFromRegionToLanguageToDefault()
    {
        var rules = SendRulesLoader.Parse("""
            version: 1
            surveys:
              delivery:
                subject: 'How was order #{{ data.orderId }}?'
                question: How likely are you to recommend Acme?
                locales:
                  de:
                    subject: 'Wie war Bestellung #{{ data.orderId }}?'
                    question: Wie wahrscheinlich ist es, dass Sie Acme empfehlen?
                  de-AT:
                    subject: 'Wie war Ihre Bestellung #{{ data.orderId }}?'
            rules:
              - { name: r, on: order.delivered, survey: delivery, keep: [orderId] }
            """, "rules.yaml");
        var survey = rules.Surveys["delivery"];
        string Subject(string? locale) => survey.Texts(locale).Subject.Render(_ => "7");
        Subject("de-DE").ShouldBe("Wie war Bestellung #7?");
        Subject("de-AT").ShouldBe("Wie war Ihre Bestellung #7?");
        Subject("fr-FR").ShouldBe("How was order #7?");
        Subject(null).ShouldBe("How was order #7?");
        // A text the locale leaves out comes from the language, then the default.
        survey.Texts("de-AT").Question.Source.ShouldBe("How likely are you to recommend Acme?");
        // Labels and "why?" the survey leaves to the service come built in, in the locale's language.
        survey.Texts("de").LowLabel.Source.ShouldBe("Äußerst unwahrscheinlich");
        survey.Texts("de-AT").Why.Source.ShouldBe("Was ist der wichtigste Grund für Ihre Bewertung?");
        survey.Texts("fr").LowLabel.Source.ShouldBe("Not at all likely");
    }

    [Fact]
    public void Parse_LocaleWithoutLabels_InheritsTheSurveysOwnLabelsButBuiltInWhy()
    {
        var rules = SendRulesLoader.Parse("""
            version: 1
            surveys:
              delivery:
                subject: How was your order?
                question: How likely are you to recommend Acme?
                low: Never
                high: Definitely
                locales:
                  zh-Hans:
                    subject: 您对订单满意吗？
                    question: 您向朋友或同事推荐 Acme 的可能性有多大？
            rules:
              - { name: r, on: order.delivered, survey: delivery }
            """, "rules.yaml");
        var chinese = rules.Surveys["delivery"].Texts("zh-CN");
        chinese.LowLabel.Source.ShouldBe("Never");
        chinese.HighLabel.Source.ShouldBe("Definitely");
        chinese.Why.Source.ShouldBe("您给出这个评分的主要原因是什么？");
    }

    [Fact]
    public void Parse_LocaleMistakes_AreReported()
    {
        var error = Should.Throw<RulesValidationException>(() => SendRulesLoader.Parse("""
            version: 1
            surveys:
              delivery:
                subject: S
                question: Q
                locales:
                  deutsch!: { subject: T }
                  fr: { subject: '{{ data.orderId }}', titre: x }
            rules:
              - { name: r, on: t, survey: delivery }
            """, "rules.yaml"));
        error.Errors.ShouldContain("rules.yaml:7:7: survey 'delivery': 'deutsch!' is not a language tag (de, de-AT, pt-BR)");
        error.Errors.ShouldContain("rules.yaml:8:44: unknown key 'titre' in survey 'delivery' locale 'fr' (allowed: subject, intro, question, low, high, why, sms)");
        error.Errors.ShouldContain(e => e.Contains("uses 'data.orderId', which this rule does not keep", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_RelationalRule_TakesEveryAndRefusesEventSettings()
    {
        var ok = SendRulesLoader.Parse("""
            version: 1
            surveys: { rel: { subject: S, question: Q } }
            rules:
              - { name: quarterly, every: 90d, survey: rel }
            """, "r.yaml");
        ok.Rules.Single().IsRelational.ShouldBeTrue();
        ok.For("anything").ShouldBeEmpty();
        var error = Should.Throw<RulesValidationException>(() => SendRulesLoader.Parse("""
            version: 1
            surveys: { rel: { subject: S, question: Q } }
            rules:
              - { name: both, every: 12h, on: order.delivered, survey: rel, delay: 1d }
            """, "r.yaml"));
        error.Errors.ShouldBe(
        [
            "r.yaml:4:26: rule 'both' field 'every': a rule either reacts to events ('on') or surveys everyone periodically ('every'), not both",
            "r.yaml:4:26: rule 'both' field 'every': must be at least 1d",
            "r.yaml:4:72: rule 'both' field 'delay': does not apply to a relational rule ('every'), which has no triggering event",
        ]);
    }

    [Fact]
    public void Parse_ShippedSampleFile_IsValid()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "send-rules.yaml");
        var rules = SendRulesLoader.Load(path);
        rules.For("order.delivered").ShouldHaveSingleItem().Delay.ShouldBe(TimeSpan.FromDays(14));
        rules.For("ticket.closed").ShouldHaveSingleItem();
    }

    private const string Mistakes = """
        version: 1
        throttle:
          global: 30days
          groups:
            service: { surveys: [delivery, ghost], period: 60d }
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
            when:
              all:
                - { field: data.amount, gt: 20, lt: 100 }
                - { field: order.country, in: [DE] }
                - { field: data.channel, in: b2b }
            window: { days: [Mon-Thu, Funday], from: "11:30", to: "09:00", timeZone: Mars/Olympus }
            sample: 150%
          - name: a
            on: order.delivered
            survey: delivery
            channel: pigeon
            cancelOn:
              - { on: order.returned, match: orderId }
              - { on: order.cancelled, match: data.order }
            reminders: { count: 9, after: 10m }
        """;

    [Fact]
    public void Parse_NineteenMistakes_ReportsEachWithFileLineRuleAndField()
    {
        var error = Should.Throw<RulesValidationException>(() => SendRulesLoader.Parse(Mistakes, "ops/rules.yaml"));
        error.Errors.ShouldBe(
        [
            "ops/rules.yaml:3:11: field 'global': '30days' is not a duration (use 14d, 1h30m, 90s or ISO 8601 like PT1H)",
            "ops/rules.yaml:10:5: unknown key 'colour' in survey 'delivery' (allowed: subject, intro, question, low, high, why, sms, recontact, locales)",
            "ops/rules.yaml:14:13: rule 'a' field 'survey': survey 'nope' is not defined under 'surveys'",
            "ops/rules.yaml:15:12: rule 'a' field 'delay': 'fortnight' is not a duration (use 14d, 1h30m, 90s or ISO 8601 like PT1H)",
            "ops/rules.yaml:18:11: rule 'a' field 'when': a condition needs exactly one operator (eq, ne, gt, gte, lt, lte, in, notIn, exists), found 2",
            "ops/rules.yaml:19:20: rule 'a' field 'when': 'order.country' must start with data. or recipient.",
            "ops/rules.yaml:20:38: rule 'a' field 'when': 'in' takes a non-empty list of values",
            "ops/rules.yaml:21:21: rule 'a' field 'window.days': 'Funday' is not a day (Mon … Sun) or a range (Mon-Thu)",
            "ops/rules.yaml:21:13: rule 'a' field 'window': 'from' (11:30) must be before 'to'",
            "ops/rules.yaml:21:78: rule 'a' field 'window.timeZone': 'Mars/Olympus' is not a known IANA time zone",
            "ops/rules.yaml:22:13: rule 'a' field 'sample': '150%' is not a percentage above 0 and at most 100 (e.g. 25%)",
            "ops/rules.yaml:26:14: rule 'a' field 'channel': 'pigeon' is not a channel (supported: email, sms, preferred, email-then-sms)",
            "ops/rules.yaml:8:24: rule 'a' field 'keep': survey 'delivery' uses 'data.orderId', which this rule does not keep; add 'orderId' to 'keep'",
            "ops/rules.yaml:29:39: rule 'a' field 'cancelOn.match': 'data.order' must be a top-level field of the data, like orderId",
            "ops/rules.yaml:28:7: rule 'a' field 'cancelOn': all entries must match on the same field (found orderId, data.order)",
            "ops/rules.yaml:30:25: rule 'a' field 'count': '9' is not a whole number from 0 to 5",
            "ops/rules.yaml:30:16: rule 'a' field 'reminders': 'after' must be at least 1h",
            "ops/rules.yaml:23:5: rule 'a' field 'name' is used twice; rule names key the invitations and must be unique",
            "ops/rules.yaml:3:3: throttle group 'service' names survey 'ghost', which is not defined under 'surveys'",
        ]);
        error.Message.ShouldStartWith("The send rules are invalid:");
    }

    [Theory]
    [InlineData("version: 2\nsurveys: {}\nrules: []", "version 2 is not supported")]
    [InlineData("surveys: {}\nrules: []", "field 'version' is required")]
    [InlineData("version: 1\nsurveys: {}\nrules: {}", "'rules' must be a list")]
    [InlineData("version: 1\nsurveys:\n  s:\n    subject: \"{{ order.id }}\"\n    question: q\nrules: []", "rules.yaml:4:18: survey 's' subject: 'order' is not a value a survey text can use (use recipient.<field> or data.<field>)")]
    [InlineData("version: 1\nsurveys:\n  s:\n    subject: \"{{ recipient.shoeSize }}\"\n    question: q\nrules: []", "is not a recipient field")]
    [InlineData("version: 1\nsurveys:\n  s:\n    subject: \"{{ data.x \"\n    question: q\nrules: []", "rules.yaml:4:24: survey 's' subject: End of tag '}}' was expected (text line 1, column 10)")]
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

    [Fact]
    public void Parse_LiquidErrorInABlockText_NamesFileLineAndColumn()
    {
        const string yaml = """
            version: 1
            surveys:
              s:
                subject: Hi
                question: q
                intro: |
                  Thanks for your order.
                  {% if data.vip %}You are a star.{% endif %} {{ data.vip | }}
            rules:
              - { name: r, on: order.delivered, survey: s, keep: [vip] }
            """;
        var error = Should.Throw<RulesValidationException>(() => SendRulesLoader.Parse(yaml, "rules.yaml"));
        error.Errors.ShouldBe(["rules.yaml:8:64: survey 's' intro: An identifier was expected after the '|' sign (text line 2, column 58)"]);
    }

    [Fact]
    public void Parse_FieldReadOnlyInsideAnIfOrFilter_MustBeKept()
    {
        const string yaml = """
            version: 1
            surveys:
              s:
                subject: "{% if data.vip %}Dear {{ recipient.name | default: data.nickname }}{% endif %}"
                question: q
            rules:
              - { name: r, on: order.delivered, survey: s, keep: [vip] }
            """;
        var error = Should.Throw<RulesValidationException>(() => SendRulesLoader.Parse(yaml, "rules.yaml"));
        error.Errors.ShouldBe(["rules.yaml:4:66: rule 'r' field 'keep': survey 's' uses 'data.nickname', which this rule does not keep; add 'nickname' to 'keep'"]);
    }
}
