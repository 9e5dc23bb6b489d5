using System.Globalization;
using NpsTriggers.Core.Localization;
using NpsTriggers.Ingest.Replies.Pages;

namespace NpsTriggers.Tests.Replies.Pages;

/// <summary>The pages' texts files: complete in every language, and chosen along BCP 47 and Accept-Language.</summary>
public class PageTextsTests
{
    public static TheoryData<string> Languages => [.. CustomerLanguages.Supported];

    [Theory]
    [MemberData(nameof(Languages))]
    public void Read_EveryLanguage_HasEveryEnglishKeyNoEmptyTextAndTheSamePlaceholders(string language)
    {
        var english = PageTexts.Read("en");
        var texts = PageTexts.Read(language);
        texts.Keys.Order(StringComparer.Ordinal).ShouldBe(english.Keys.Order(StringComparer.Ordinal), language);
        foreach (var (key, text) in texts)
        {
            text.Trim().ShouldNotBeEmpty($"{language} {key}");
            PageTexts.Placeholders(text).Order(StringComparer.Ordinal).ShouldBe(PageTexts.Placeholders(english[key]).Order(StringComparer.Ordinal), $"{language} {key}");
        }
        PageTexts.Problems(language, texts, english).ShouldBeEmpty();
    }

    [Fact]
    public void Problems_MissingExtraEmptyOrOtherPlaceholders_NameTheFileAndKey()
    {
        var english = new Dictionary<string, string> { ["send"] = "Send", ["recorded"] = "You answered {0}.", ["title"] = "Your feedback" };
        var broken = new Dictionary<string, string> { ["send"] = " ", ["recorded"] = "Sie haben {1} gewählt.", ["extra"] = "x" };
        PageTexts.Problems("de", broken, english).ShouldBe(
        [
            "Texts/de.json: 'title' is missing",
            "Texts/de.json: 'extra' is not a key English has",
            "Texts/de.json: 'send' is empty",
            "Texts/de.json: 'recorded' has placeholders {1}, English has {0}",
        ], ignoreOrder: true);
    }

    [Fact]
    public void All_EveryPropertyInEveryLanguage_IsAWrittenText()
    {
        var properties = typeof(PageText).GetProperties().Where(p => p.PropertyType == typeof(string) && p.Name is not nameof(PageText.Language) and not nameof(PageText.Direction)).ToList();
        // Every key of the files is a property; the scale's ends and the "why?" come from MessageTexts, not the files.
        string[] builtInWording = [nameof(PageText.Low), nameof(PageText.High), nameof(PageText.Why)];
        properties.Count.ShouldBe(PageTexts.English.All.Count + builtInWording.Length);
        PageTexts.All.Keys.ShouldBe(CustomerLanguages.Supported, ignoreOrder: true);
        foreach (var t in PageTexts.All.Values)
            foreach (var property in properties)
                ((string)property.GetValue(t)!).Trim().ShouldNotBeEmpty($"{t.Language} {property.Name}");
        foreach (var t in PageTexts.All.Values.Where(t => t.Language != CustomerLanguages.Default))
            foreach (var name in builtInWording)
                typeof(PageText).GetProperty(name)!.GetValue(t).ShouldNotBe(typeof(PageText).GetProperty(name)!.GetValue(PageTexts.English), $"{t.Language} {name}");
    }

    [Theory]
    [InlineData("zh-CN", null, "zh-Hans")]
    [InlineData("zh-TW", null, "zh-Hant")]
    [InlineData("zh-HK", "en", "zh-Hant")]
    [InlineData("tl", null, "fil")]
    [InlineData("pt-BR", null, "pt")]
    [InlineData("pt-PT", null, "pt-PT")]
    [InlineData("he-IL", null, "he")]
    [InlineData("sv-SE", "sv, zh-TW;q=0.8, de;q=0.9", "de")]
    [InlineData(null, "xx, zh-HK", "zh-Hant")]
    [InlineData(null, "fr;q=0, es", "es")]
    [InlineData(null, "ja;q=0.5, ko;q=0.5", "ja")]
    [InlineData(null, "*, ru;q=0.1", "ru")]
    [InlineData(null, "sv", "en")]
    [InlineData(null, null, "en")]
    [InlineData("", "", "en")]
    public void For_LocaleThenAcceptLanguageByQuality_PicksTheFirstLanguageWeSpeak(string? locale, string? acceptLanguage, string expected) =>
        PageText.For(locale, acceptLanguage).Language.ShouldBe(expected);

    [Theory]
    [InlineData("en", "December 5, 2026")]
    [InlineData("de", "5. Dezember 2026")]
    [InlineData("fr", "5 décembre 2026")]
    [InlineData("ru", "5 декабря 2026\u202Fг.")] // CLDR keeps the year and "г." together with a narrow no-break space
    [InlineData("pl", "5 grudnia 2026")]
    [InlineData("tr", "5 Aralık 2026")]
    [InlineData("ja", "2026年12月5日")]
    [InlineData("zh-Hant", "2026年12月5日")]
    [InlineData("ar", "5 ديسمبر 2026")]
    [InlineData("he", "5 בדצמבר 2026")]
    public void Date_ADay_IsWrittenInThePagesCultureWithoutItsWeekday(string language, string expected) =>
        PageTexts.All[language].Date(new DateTimeOffset(2026, 12, 5, 22, 0, 0, TimeSpan.Zero)).ShouldBe(expected);

    [Fact]
    public void Format_ChangeUntil_PutsTheLocalDateIntoTheSentence()
    {
        var t = PageText.For("de-DE", null);
        t.Format(t.ChangeUntil, t.Date(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero))).ShouldBe("Sie können Ihre Antwort bis zum 1. März 2026 ändern.");
        t.Culture.ShouldBe(CultureInfo.GetCultureInfo("de"));
    }
}
