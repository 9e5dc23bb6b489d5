using System.Collections.Frozen;
using System.Text.Json;
using System.Text.RegularExpressions;
using NpsTriggers.Core.Localization;

namespace NpsTriggers.Ingest.Replies.Pages;

/// <summary>
/// The pages' texts, one embedded JSON file per language of <see cref="CustomerLanguages.Supported"/>
/// (<c>Replies/Pages/Texts/zh-Hant.json</c>: one flat object, key → text), read once. A file that lacks a key English
/// has, has one English lacks, an empty text, or other <c>{n}</c> placeholders than English's, stops the service as it
/// starts (<c>AddReplies</c>) with the file and key named, and fails the unit tests long before that.
/// </summary>
public static partial class PageTexts
{
    private static readonly Lazy<FrozenDictionary<string, PageText>> Catalogue = new(Load);

    /// <summary>The texts every other language falls back to.</summary>
    public static PageText English => Catalogue.Value[CustomerLanguages.Default];

    /// <summary>Every language's texts, keyed by language tag.</summary>
    public static IReadOnlyDictionary<string, PageText> All => Catalogue.Value;

    /// <summary>
    /// The invitation's locale when we speak it (BCP 47 fallback: <c>zh-TW</c> → <c>zh-Hant</c>, <c>tl</c> → <c>fil</c>),
    /// else the first language of the browser's <c>Accept-Language</c> we speak, by quality, else English.
    /// </summary>
    public static PageText For(string? locale, string? acceptLanguage)
    {
        if (CustomerLanguages.Resolve(locale) is { } fromInvitation)
            return Catalogue.Value[fromInvitation];
        foreach (var tag in AcceptedLanguages(acceptLanguage))
            if (CustomerLanguages.Resolve(tag) is { } fromBrowser)
                return Catalogue.Value[fromBrowser];
        return English;
    }

    /// <summary>The tags of an <c>Accept-Language</c> header (RFC 9110 §12.5.4), best first; q=0 means "not this one".</summary>
    public static IEnumerable<string> AcceptedLanguages(string? header) =>
        (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select((part, index) => (Tag: part.Split(';')[0].Trim(), Q: Quality(part), Index: index))
            .Where(p => p.Q > 0 && p.Tag.Length > 0 && p.Tag != "*")
            .OrderByDescending(p => p.Q)
            .ThenBy(p => p.Index)
            .Select(p => p.Tag);

    private static double Quality(string part)
    {
        var q = part.Split(';').Skip(1).Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("q=", StringComparison.OrdinalIgnoreCase));
        return q is null ? 1
            : double.TryParse(q[2..], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value
            : 0; // An unreadable weight is not a preference.
    }

    private static FrozenDictionary<string, PageText> Load()
    {
        var texts = CustomerLanguages.Supported.ToDictionary(language => language, Read, StringComparer.OrdinalIgnoreCase);
        var english = texts[CustomerLanguages.Default];
        var problems = texts.SelectMany(entry => Problems(entry.Key, entry.Value, english)).ToList();
        if (problems.Count > 0)
            throw new InvalidOperationException("The pages' texts are incomplete:\n" + string.Join("\n", problems));
        return texts.ToFrozenDictionary(entry => entry.Key, entry => new PageText(entry.Key, entry.Value), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>What is wrong with one language's texts, measured against English's; nothing when it is complete.</summary>
    public static IEnumerable<string> Problems(string language, IReadOnlyDictionary<string, string> texts, IReadOnlyDictionary<string, string> english)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(english);
        var file = $"Texts/{language}.json";
        foreach (var key in english.Keys.Except(texts.Keys))
            yield return $"{file}: '{key}' is missing";
        foreach (var key in texts.Keys.Except(english.Keys))
            yield return $"{file}: '{key}' is not a key English has";
        foreach (var (key, text) in texts)
        {
            if (string.IsNullOrWhiteSpace(text))
                yield return $"{file}: '{key}' is empty";
            else if (english.TryGetValue(key, out var original) && !Placeholders(text).SetEquals(Placeholders(original)))
                yield return $"{file}: '{key}' has placeholders {string.Join(" ", Placeholders(text))}, English has {string.Join(" ", Placeholders(original))}";
        }
    }

    /// <summary>The <c>{0}</c>-style placeholders of a text.</summary>
    public static IReadOnlySet<string> Placeholders(string text) =>
        Placeholder().Matches(text ?? "").Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>One language's file as it is embedded, key → text.</summary>
    public static IReadOnlyDictionary<string, string> Read(string language)
    {
        var name = $"NpsTriggers.Ingest.Replies.Pages.Texts.{language}.json";
        using var stream = typeof(PageTexts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Texts/{language}.json is not embedded in {typeof(PageTexts).Assembly.GetName().Name} (resource {name}).");
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(stream)
                ?? throw new InvalidOperationException($"Texts/{language}.json holds null, not an object of texts.");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"Texts/{language}.json, line {e.LineNumber + 1}: {e.Message}", e);
        }
    }

    [GeneratedRegex(@"\{\d+\}")]
    private static partial Regex Placeholder();
}
