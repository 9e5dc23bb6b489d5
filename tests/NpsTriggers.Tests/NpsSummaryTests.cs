using FsCheck;
using FsCheck.Fluent;
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
    [InlineData(6, "detractor")]
    [InlineData(7, "passive")]
    [InlineData(8, "passive")]
    [InlineData(9, "promoter")]
    public void CategoryOf_BoundaryScores_NameTheirCategory(int score, string expected) =>
        NpsSummary.CategoryOf(score).ShouldBe(expected);

    [Fact]
    public void IsCategory_TheThreeNamesOnly_AreCategories()
    {
        NpsSummary.CategoryNames.ShouldBe(["detractor", "passive", "promoter"]);
        NpsSummary.CategoryNames.ShouldAllBe(name => NpsSummary.IsCategory(name));
        NpsSummary.IsCategory("Promoter").ShouldBeFalse();
        NpsSummary.IsCategory("*").ShouldBeFalse();
        NpsSummary.IsCategory(null).ShouldBeFalse();
    }

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

    [Fact]
    public void MarginOfError_HandComputedFixture_MatchesTheFormula()
    {
        // p = 0.3, d = 0.5, n = 10: variance = 0.8 - 0.04 = 0.76; 1.96 * 100 * sqrt(0.076) = 54.03…
        new NpsSummary(3, 2, 5).MarginOfError.ShouldBe(54.0);
        // All promoters: no spread at all.
        new NpsSummary(50, 0, 0).MarginOfError.ShouldBe(0.0);
        new NpsSummary(1, 0, 0).MarginOfError.ShouldBeNull();
    }

    [Theory]
    // 50 promoters, 30 passives, 20 detractors of 100: NPS 30; variance .7 − .3² = .61; 1.96 · 100 · √(.61 / 100) = 15.31.
    [InlineData(50, 30, 20, 30.0, 15.3)]
    // One promoter and one detractor: NPS 0; variance 1; 1.96 · 100 · √(1 / 2) = 138.59.
    [InlineData(1, 0, 1, 0.0, 138.6)]
    // 150 promoters, 100 passives, 150 detractors: NPS 0; variance .75; 1.96 · 100 · √(.75 / 400) = 8.49.
    [InlineData(150, 100, 150, 0.0, 8.5)]
    // Only passives: NPS 0 with no spread.
    [InlineData(0, 5, 0, 0.0, 0.0)]
    public void MarginOfError_TextbookCounts_GiveTheHandComputedMargin(int promoters, int passives, int detractors, double nps, double margin)
    {
        var s = new NpsSummary(promoters, passives, detractors);
        s.Nps.ShouldBe(nps);
        s.MarginOfError.ShouldBe(margin);
    }

    [Fact]
    public void MarginOfError_NoOrOneAnswer_IsNull()
    {
        // n = 0: no NPS, no margin. n = 1: an NPS of ±100 or 0, but nothing to measure its spread with.
        new NpsSummary(0, 0, 0).MarginOfError.ShouldBeNull();
        NpsSummary.From([10]).MarginOfError.ShouldBeNull();
        NpsSummary.From([7]).MarginOfError.ShouldBeNull();
        NpsSummary.From([0]).MarginOfError.ShouldBeNull();
        NpsSummary.From([0]).Nps.ShouldBe(-100.0);
    }

    /// <summary>The margin computed the long way from the scores themselves: values +1/0/−1, their mean, their spread.</summary>
    private static double StraightMargin(IReadOnlyList<int> scores)
    {
        var values = scores.Select(x => x >= 9 ? 1.0 : x >= 7 ? 0.0 : -1.0).ToList();
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / values.Count;
        return 1.96 * 100 * Math.Sqrt(variance / values.Count);
    }

    [Fact]
    public void MarginOfError_AnyScores_MatchesTheStraightComputationFromTheScores()
    {
        Prop.ForAll(Gen.Choose(0, 10).ListOf().Where(l => l.Count >= 2).ToArbitrary(), scores =>
        {
            var margin = NpsSummary.From(scores).MarginOfError;
            var straight = StraightMargin(scores);
            // The same figure up to rounding to one decimal (two roundings of nearly equal doubles may differ by 0.1).
            return margin is { } m && (m == Math.Round(straight, 1) || Math.Abs(m - straight) <= 0.05 + 1e-9);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    private static Gen<NpsSummary> Summaries() =>
        from p in Gen.Choose(0, 5000)
        from n in Gen.Choose(0, 5000)
        from d in Gen.Choose(0, 5000)
        select new NpsSummary(p, n, d);

    [Fact]
    public void Nps_AnyCounts_StaysWithinMinusAndPlusHundred_AndCategoriesSumToResponses()
    {
        Prop.ForAll(Summaries().ToArbitrary(), s =>
            s.Responses == s.Promoters + s.Passives + s.Detractors
            && (s.Responses == 0 ? s.Nps is null : s.Nps is >= -100 and <= 100)
            && (s.MarginOfError is null || s.MarginOfError is >= 0 and <= 196))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    [Fact]
    public void From_AnyScores_CountsEachScoreInExactlyOneCategory()
    {
        Prop.ForAll(Gen.Choose(0, 10).ListOf().ToArbitrary(), scores =>
        {
            var s = NpsSummary.From(scores);
            return s.Responses == scores.Count
                && s.Promoters == scores.Count(x => x >= 9)
                && s.Detractors == scores.Count(x => x <= 6);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void MarginOfError_SameSharesWithMoreResponses_Shrinks()
    {
        var cases = from s in Summaries() where s.Responses >= 2 && s.Promoters + s.Detractors > 0 && s.Responses < 5000
                    from k in Gen.Choose(2, 50)
                    select (s, k);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (s, k) = c;
            var more = new NpsSummary(s.Promoters * k, s.Passives * k, s.Detractors * k);
            // Same NPS, k times the responses: the margin shrinks by √k (up to rounding to one decimal).
            return more.Nps == s.Nps && more.MarginOfError <= s.MarginOfError
                && Math.Abs(more.MarginOfError!.Value - s.MarginOfError!.Value / Math.Sqrt(k)) <= 0.11;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }
}
