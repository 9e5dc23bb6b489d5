using NpsTriggers.Core.Rules;

namespace NpsTriggers.Tests.Rules;

public sealed class TextTemplateTests
{
    [Fact]
    public void Render_FillsPlaceholdersAndDefaults()
    {
        var template = TextTemplate.TryParse("""{{ recipient.name | default: "Hello" }}, how was order #{{data.orderId}}?""", out var error)!;
        error.ShouldBeNull();
        template.Paths.ShouldBe(["recipient.name", "data.orderId"]);
        template.Render(p => p == "recipient.name" ? "Anna" : "1234").ShouldBe("Anna, how was order #1234?");
        template.Render(p => p == "recipient.name" ? " " : "1234").ShouldBe("Hello, how was order #1234?");
        template.Render(_ => null).ShouldBe("Hello, how was order #?");
    }

    [Fact]
    public void Render_PlainText_IsUnchanged() =>
        TextTemplate.TryParse("No placeholders {here}", out _)!.Render(_ => "x").ShouldBe("No placeholders {here}");
}
