namespace NpsTriggers.Core.Localization;

/// <summary>
/// The languages the service's own customer-facing texts are written in, and how a recipient's BCP 47 tag
/// (RFC 5646) maps onto one of them. Chinese is chosen by script (<c>zh-Hans</c>, <c>zh-Hant</c>), from the script
/// subtag when the tag has one, else from the region as CLDR's likely subtags do (TW, HK, MO write Traditional);
/// Portuguese by region (Portugal and the African countries write European Portuguese, <c>pt-PT</c>; everyone else
/// gets Brazilian, <c>pt</c>); Tagalog (<c>tl</c>) is answered in Filipino (<c>fil</c>), its standard form; and the
/// deprecated <c>iw</c> and <c>in</c> still mean Hebrew and Indonesian.
/// </summary>
public static class CustomerLanguages
{
    /// <summary>Every language with built-in texts, English first.</summary>
    public static readonly IReadOnlyList<string> Supported =
    [
        "en", "de", "fr", "es", "it", "pt", "pt-PT", "nl", "pl", "tr", "ar", "he", "ja", "ko", "zh-Hans", "zh-Hant",
        "fil", "id", "vi", "hi", "ru",
    ];

    public const string Default = "en";

    private static readonly HashSet<string> SupportedSet = new(Supported, StringComparer.OrdinalIgnoreCase);
    private static readonly HashSet<string> TraditionalChineseRegions = new(StringComparer.OrdinalIgnoreCase) { "TW", "HK", "MO" };
    private static readonly HashSet<string> EuropeanPortugueseRegions =
        new(StringComparer.OrdinalIgnoreCase) { "PT", "AO", "MZ", "CV", "GW", "ST", "TL", "MO", "GQ", "LU", "CH" };

    /// <summary>The supported language a tag is answered in (<c>zh-CN</c> → <c>zh-Hans</c>), or null when none fits.</summary>
    public static string? Resolve(string? tag)
    {
        if (string.IsNullOrWhiteSpace(tag))
            return null;
        var subtags = tag.Trim().Replace('_', '-').Split('-', StringSplitOptions.RemoveEmptyEntries);
        if (subtags.Length == 0)
            return null;
        var language = subtags[0].ToLowerInvariant() switch
        {
            "iw" => "he",
            "in" => "id",
            "tl" => "fil",
            var other => other,
        };
        var script = subtags.Skip(1).FirstOrDefault(s => s.Length == 4 && s.All(char.IsAsciiLetter));
        var region = subtags.Skip(1).FirstOrDefault(s => (s.Length == 2 && s.All(char.IsAsciiLetter)) || (s.Length == 3 && s.All(char.IsAsciiDigit)));
        switch (language)
        {
            case "zh":
                if (script is not null)
                    return script.Equals("Hant", StringComparison.OrdinalIgnoreCase) ? "zh-Hant" : "zh-Hans";
                return region is not null && TraditionalChineseRegions.Contains(region) ? "zh-Hant" : "zh-Hans";
            case "pt":
                return region is not null && EuropeanPortugueseRegions.Contains(region) ? "pt-PT" : "pt";
            default:
                return SupportedSet.TryGetValue(language, out var known) ? known : null;
        }
    }

    /// <summary>The language a recipient is answered in: their tag's, else English.</summary>
    public static string For(string? tag) => Resolve(tag) ?? Default;

    /// <summary>
    /// Keys to look a tag up by in a table keyed by language tags (a survey's <c>locales:</c>), most specific first: the
    /// tag itself (<c>zh-CN</c>), the language it resolves to (<c>zh-Hans</c>), then its primary language (<c>zh</c>).
    /// </summary>
    public static IEnumerable<string> LookupKeys(string? tag)
    {
        if (string.IsNullOrWhiteSpace(tag))
            yield break;
        var trimmed = tag.Trim().Replace('_', '-');
        yield return trimmed;
        var resolved = Resolve(trimmed);
        if (resolved is not null && !resolved.Equals(trimmed, StringComparison.OrdinalIgnoreCase))
            yield return resolved;
        var dash = trimmed.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0 && !trimmed[..dash].Equals(resolved, StringComparison.OrdinalIgnoreCase))
            yield return trimmed[..dash];
    }

    /// <summary>Whether a supported language is written right to left (Arabic, Hebrew).</summary>
    public static bool IsRightToLeft(string language) =>
        language.StartsWith("ar", StringComparison.OrdinalIgnoreCase) || language.StartsWith("he", StringComparison.OrdinalIgnoreCase);

    /// <summary>The <c>dir</c> attribute value for a language.</summary>
    public static string Direction(string language) => IsRightToLeft(language) ? "rtl" : "ltr";
}
