using NpsTriggers.Core.Rules;

namespace NpsTriggers.Tests.Rules;

public sealed class DurationTests
{
    [Theory]
    [InlineData("14d", 14 * 24 * 60)]
    [InlineData("1h30m", 90)]
    [InlineData("90m", 90)]
    [InlineData("1d12h", 36 * 60)]
    [InlineData("PT1H", 60)]
    [InlineData("P14D", 14 * 24 * 60)]
    [InlineData(" 2h ", 120)]
    public void TryParse_SupportedForms_GiveTheSpan(string text, int minutes)
    {
        Duration.TryParse(text, out var value).ShouldBeTrue();
        value.ShouldBe(TimeSpan.FromMinutes(minutes));
    }

    [Theory]
    [InlineData("")]
    [InlineData("d")]
    [InlineData("14")]
    [InlineData("14 days")]
    [InlineData("-1d")]
    [InlineData("P")]
    [InlineData("1m2h")]
    public void TryParse_Nonsense_IsRejected(string text) => Duration.TryParse(text, out _).ShouldBeFalse();
}
