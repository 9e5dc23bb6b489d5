using System.Text.Json;
using NpsTriggers.Core.Rules;

namespace NpsTriggers.Tests.Rules;

public sealed class ConditionTests
{
    private static readonly JsonElement Data = JsonDocument.Parse("""
        {"recipient":{"email":"a@b.de","locale":"de-DE"},"amount":"25.50","country":"DE","items":3,"vip":true,"channel":null}
        """).RootElement;

    private static SendRule Rule(string when) => SendRulesLoader.Parse($$"""
        version: 1
        surveys: { s: { subject: S, question: Q } }
        rules:
          - name: r
            on: t
            survey: s
            when: {{when}}
        """, "r.yaml").Rules[0];

    [Theory]
    [InlineData("{ field: data.amount, gt: 20 }", true)]
    [InlineData("{ field: data.amount, gte: 25.5 }", true)]
    [InlineData("{ field: data.amount, lt: 25.5 }", false)]
    [InlineData("{ field: data.items, lte: 3 }", true)]
    [InlineData("{ field: data.items, eq: 3 }", true)]
    [InlineData("{ field: data.items, eq: '3' }", false)]
    [InlineData("{ field: data.country, in: [DE, AT, CH] }", true)]
    [InlineData("{ field: data.country, notIn: [DE] }", false)]
    [InlineData("{ field: data.vip, eq: true }", true)]
    [InlineData("{ field: data.coupon, exists: false }", true)]
    [InlineData("{ field: data.channel, exists: true }", false)]
    [InlineData("{ field: data.coupon, ne: x }", true)]
    [InlineData("{ field: recipient.locale, eq: de-DE }", true)]
    [InlineData("{ any: [ { field: data.country, eq: FR }, { field: data.vip, eq: true } ] }", true)]
    [InlineData("{ not: { field: data.country, eq: DE } }", false)]
    [InlineData("[ { field: data.country, eq: DE }, { field: data.items, gt: 5 } ]", false)]
    public void Evaluate_Conditions_FollowTheirOperators(string when, bool expected) =>
        Rule(when).When!.Evaluate(Data).Matched.ShouldBe(expected);

    [Fact]
    public void Evaluate_MissingField_SaysItIsMissing() =>
        Rule("{ field: data.coupon, eq: SAVE10 }").When!.Evaluate(Data).Why.ShouldBe("data.coupon is missing, so data.coupon == \"SAVE10\" is false (line 7)");

    [Fact]
    public void Evaluate_AnyWithNoMatch_ListsEveryReason() =>
        Rule("{ any: [ { field: data.country, eq: FR }, { field: data.items, gt: 5 } ] }").When!.Evaluate(Data).Why
            .ShouldBe("none of any (line 7) holds: data.country (\"DE\") is not == \"FR\" (line 7); data.items (3) is not > 5 (line 7)");

    // Numbers beyond decimal (7.9e28) used to throw from GetDecimal on the consumer thread and stop the host.
    [Theory]
    [InlineData("1e30", "{ field: data.n, gt: 20 }", true)]
    [InlineData("-1e300", "{ field: data.n, lt: 0 }", true)]
    [InlineData("1e400", "{ field: data.n, gt: 20 }", false)]
    [InlineData("1e400", "{ field: data.n, eq: 1 }", false)]
    [InlineData("1e-400", "{ field: data.n, lt: 1 }", true)]
    [InlineData("\"1e30\"", "{ field: data.n, gt: 20 }", false)]
    [InlineData("123456789012345678901234567890", "{ field: data.n, gt: 20 }", true)]
    public void Evaluate_NumbersOfAnySize_CompareWithoutThrowing(string number, string when, bool expected) =>
        Rule(when).When!.Evaluate(JsonDocument.Parse($$"""{"n":{{number}}}""").RootElement).Matched.ShouldBe(expected);
}
