namespace NpsTriggers.Core.Nps;

/// <summary>Category counts and the Net Promoter Score (−100…100) of a set of 0–10 answers.</summary>
public sealed record NpsSummary(int Promoters, int Passives, int Detractors)
{
    public int Responses => Promoters + Passives + Detractors;

    /// <summary>%promoters − %detractors, rounded to one decimal; null when there are no responses.</summary>
    public double? Nps => Responses == 0 ? null : Math.Round(100.0 * (Promoters - Detractors) / Responses, 1);

    /// <summary>
    /// Half-width of the 95% confidence interval of <see cref="Nps"/>, in NPS points, rounded to one decimal: the one
    /// margin every report, API, page and export shows. Each answer is +1 (promoter), 0 (passive) or −1 (detractor);
    /// NPS is 100 × their mean, so its standard error is 100 × √((p + d − (p − d)²) / n) with p and d the promoter and
    /// detractor shares, and the margin is 1.96 standard errors (the normal approximation).
    /// Null for n = 0 (there is no NPS) and n = 1 (one answer says nothing about its spread). With n ≥ 2 answers all in
    /// one category the spread, and so the margin, is 0: the approximation's known blind spot, which understates the
    /// uncertainty of a few identical answers; the response count shown beside every margin tells the reader.
    /// </summary>
    public double? MarginOfError
    {
        get
        {
            if (Responses < 2)
                return null;
            double n = Responses, p = Promoters / n, d = Detractors / n;
            var variance = Math.Max(0, p + d - (p - d) * (p - d));
            return Math.Round(1.96 * 100 * Math.Sqrt(variance / n), 1);
        }
    }

    /// <summary>Promoters score 9–10, passives 7–8, detractors 0–6.</summary>
    public static NpsCategory Categorise(int score) => score switch
    {
        < 0 or > 10 => throw new ArgumentOutOfRangeException(nameof(score), score, "A score is 0 to 10."),
        >= 9 => NpsCategory.Promoter,
        >= 7 => NpsCategory.Passive,
        _ => NpsCategory.Detractor,
    };

    /// <summary>
    /// The category's name as replies, events, alerts, follow-ups and the API write it, and as the SQL function
    /// <c>nps_category(score)</c> (migration 0018) returns it.
    /// </summary>
    public static string NameOf(NpsCategory category) => category switch
    {
        NpsCategory.Promoter => "promoter",
        NpsCategory.Passive => "passive",
        NpsCategory.Detractor => "detractor",
        _ => throw new ArgumentOutOfRangeException(nameof(category), category, null),
    };

    /// <summary>The name of the category of <paramref name="score"/>: <c>promoter</c>, <c>passive</c> or <c>detractor</c>.</summary>
    public static string CategoryOf(int score) => NameOf(Categorise(score));

    /// <summary>The categories' names, from detractor to promoter.</summary>
    public static IReadOnlyList<string> CategoryNames { get; } = [.. Enum.GetValues<NpsCategory>().Select(NameOf)];

    /// <summary>Whether <paramref name="name"/> is a category's name (a filter or a configured list).</summary>
    public static bool IsCategory(string? name) => name is not null && CategoryNames.Contains(name, StringComparer.Ordinal);

    public static NpsSummary From(IEnumerable<int> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        int p = 0, n = 0, d = 0;
        foreach (var s in scores)
        {
            switch (Categorise(s))
            {
                case NpsCategory.Promoter: p++; break;
                case NpsCategory.Passive: n++; break;
                default: d++; break;
            }
        }
        return new NpsSummary(p, n, d);
    }
}

public enum NpsCategory { Detractor, Passive, Promoter }
