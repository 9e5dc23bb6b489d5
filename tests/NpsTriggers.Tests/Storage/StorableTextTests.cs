using System.Text.Json;
using NpsTriggers.Core.Storage;

namespace NpsTriggers.Tests.Storage;

public sealed class StorableTextTests
{
    // A Fact, not a Theory: xunit's serialisation of theory data would replace the lone surrogates with U+FFFD.
    [Fact]
    public void Problem_NulAndLoneSurrogates_AreNamed_OtherUnicodeIsFine()
    {
        StorableText.Problem("Anna").ShouldBeNull();
        StorableText.Problem("北京 ☕ 😀 عربى e\u0301").ShouldBeNull();
        StorableText.Problem("a\0b").ShouldNotBeNull().ShouldContain("U+0000 (NUL) at character 1");
        StorableText.Problem("x\ud800").ShouldNotBeNull().ShouldContain("unpaired surrogate U+D800 at character 1");
        StorableText.Problem("\udc00y").ShouldNotBeNull().ShouldContain("unpaired surrogate U+DC00 at character 0");
    }

    [Fact]
    public void FindIn_AJsonDocument_NamesThePathOfTheFirstUnstorableString()
    {
        using var document = JsonDocument.Parse("""{"recipient":{"name":"Anna"},"items":[{"title":"ok"},{"title":"bad\u0000"}]}""");
        var found = StorableText.FindIn(document.RootElement, "data").ShouldNotBeNull();
        found.Path.ShouldBe("data.items[1].title");
        using var name = JsonDocument.Parse("""{"a\u0000b":1}""");
        StorableText.FindIn(name.RootElement, "data").ShouldNotBeNull().Path.ShouldBe("data (a property name)");
        // System.Text.Json cannot even return such a string (it throws); the walk reports it instead.
        using var lone = JsonDocument.Parse("""{"x":["\udc00"],"\ud800":2}""");
        StorableText.FindIn(lone.RootElement, "data").ShouldNotBeNull().ShouldBe(("data.x[0]", "contains an unpaired surrogate escape (\\uD800 to \\uDFFF without its pair), which is not Unicode text"));
    }

    // The limits were read off PostgreSQL 15 (datatype-numeric): 131072 digits before the point, 16383 after it.
    [Theory]
    [InlineData("1e131071", true)]
    [InlineData("1e131072", false)]
    [InlineData("1e-16383", true)]
    [InlineData("1e-16384", false)]
    [InlineData("-1.5e400", true)]
    [InlineData("1e999999999999999999999", false)]
    [InlineData("0.5", true)]
    public void NumberProblem_FollowsPostgresNumericLimits(string raw, bool storable)
    {
        (StorableText.NumberProblem(raw) is null).ShouldBe(storable);
    }

    [Fact]
    public void Escape_MakesAnyTextStorable_AndNeverSplitsASurrogatePair()
    {
        StorableText.Escape("a\0b\ud800").ShouldBe("a\\u0000b\\ud800");
        var cut = StorableText.Escape(new string('x', 9) + "😀", maxLength: 10);
        StorableText.Problem(cut).ShouldBeNull();
        cut.ShouldBe(new string('x', 9) + "…");
    }
}
