using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.Tests.Rules;

/// <summary>Keeps the Liquid examples in docs/RULES.md true: each template block is rendered and compared with the block after it.</summary>
public sealed partial class RulesDocExamplesTests
{
    private static readonly string Doc = File.ReadAllText(RepoRoot.Combine("docs", "RULES.md"));

    /// <summary>Anna from docs/examples/order.delivered.json, as the doc describes her, with the fields the doc says are kept.</summary>
    private static TemplateValues Anna()
    {
        var e = JsonNode.Parse(File.ReadAllText(RepoRoot.Combine("docs", "examples", "order.delivered.json")))!;
        var data = e["data"]!;
        var recipient = data["recipient"]!;
        var kept = new JsonObject
        {
            ["orderId"] = data["orderId"]!.DeepClone(),
            ["product"] = data["product"]!.DeepClone(),
            ["amount"] = data["amount"]!.DeepClone(),
            ["currency"] = data["currency"]!.DeepClone(),
            ["deliveredAt"] = "2026-11-01T09:30:00Z",
        };
        var invitation = new Invitation(Guid.CreateVersion7(), "/shop/orders", "doc", "order.delivered", "r", "delivery", InvitationChannel.Email,
            (string?)recipient["customerId"], (string?)recipient["email"], (string?)recipient["phone"], (string?)recipient["name"],
            (string?)recipient["locale"], (string?)recipient["timeZone"], kept.ToJsonString(), TimeSpan.FromDays(30));
        return TemplateValues.For(invitation);
    }

    public static TheoryData<string, string> Rendered() => Pairs(RenderedExample(), "output");

    public static TheoryData<string, string> Refused() => Pairs(RefusedExample(), "error");

    private static TheoryData<string, string> Pairs(Regex example, string second)
    {
        var data = new TheoryData<string, string>();
        foreach (Match m in example.Matches(Doc))
            data.Add(m.Groups["template"].Value, m.Groups[second].Value);
        return data;
    }

    [Fact]
    public void Doc_HasLiquidExamples() // so the theories below cannot pass by finding nothing
    {
        Rendered().Count.ShouldBeGreaterThanOrEqualTo(4);
        Refused().Count.ShouldBeGreaterThanOrEqualTo(1);
    }

    [Theory]
    [MemberData(nameof(Rendered))]
    public void Render_DocExample_GivesTheDocumentedText(string template, string expected) =>
        (TextTemplate.TryParse(template, out var error) ?? throw new InvalidOperationException(error)).Render(Anna()).ShouldBe(expected);

    [Theory]
    [MemberData(nameof(Refused))]
    public void TryParse_RefusedDocExample_GivesTheDocumentedError(string template, string expected)
    {
        TextTemplate.TryParse(template, out var error).ShouldBeNull();
        error.ShouldStartWith(expected);
    }

    [GeneratedRegex("```liquid\\n(?<template>.*?)\\n```\\nrenders[^\\n]*\\n```text\\n(?<output>.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex RenderedExample();

    [GeneratedRegex("```liquid\\n(?<template>.*?)\\n```\\nis refused at load: `(?<error>[^`]*)`", RegexOptions.Singleline)]
    private static partial Regex RefusedExample();
}
