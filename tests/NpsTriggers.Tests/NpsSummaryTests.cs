using NpsTriggers.Core.Nps;

namespace NpsTriggers.Tests;

public class NpsSummaryTests
{
    [Theory]
    [InlineData(0, NpsCategory.Detractor)]
    [InlineData(6, NpsCategory.Detractor)]
    [InlineData(7, NpsCategory.Passive)]
    [InlineData(8, NpsCategory.Passive)]
    [InlineData(9, NpsCategory.Promoter)]
    [InlineData(10, NpsCategory.Promoter)]
    public void Categorise_BoundaryScores_FallInTheirCategory(int score, NpsCategory expected) =>
        NpsSummary.Categorise(score).ShouldBe(expected);

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void Categorise_OutOfRange_Throws(int score) =>
        Should.Throw<ArgumentOutOfRangeException>(() => NpsSummary.Categorise(score));

    [Fact]
    public void From_HandComputedFixture_GivesExpectedNps()
    {
        // 3 promoters, 2 passives, 5 detractors of 10: 30% - 50% = -20.
        var s = NpsSummary.From([10, 9, 9, 8, 7, 6, 5, 0, 3, 1]);
        s.ShouldBe(new NpsSummary(3, 2, 5));
        s.Nps.ShouldBe(-20.0);
    }

    [Fact]
    public void Nps_Extremes_AreMinusAndPlusHundred()
    {
        NpsSummary.From([0, 1]).Nps.ShouldBe(-100.0);
        NpsSummary.From([10, 9]).Nps.ShouldBe(100.0);
        NpsSummary.From([]).Nps.ShouldBeNull();
    }
}
