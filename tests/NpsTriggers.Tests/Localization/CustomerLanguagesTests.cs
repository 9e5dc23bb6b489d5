using NpsTriggers.Core.Localization;
using NpsTriggers.Core.Rules;

namespace NpsTriggers.Tests.Localization;

public class CustomerLanguagesTests
{
    [Theory]
    [InlineData("zh-CN", "zh-Hans")]
    [InlineData("zh-SG", "zh-Hans")]
    [InlineData("zh", "zh-Hans")]
    [InlineData("zh-TW", "zh-Hant")]
    [InlineData("zh-HK", "zh-Hant")]
    [InlineData("zh-MO", "zh-Hant")]
    [InlineData("zh-Hant-CN", "zh-Hant")]
    [InlineData("zh-Hans-HK", "zh-Hans")]
    [InlineData("zh_TW", "zh-Hant")]
    [InlineData("pt-BR", "pt")]
    [InlineData("pt", "pt")]
    [InlineData("pt-PT", "pt-PT")]
    [InlineData("pt-AO", "pt-PT")]
    [InlineData("tl", "fil")]
    [InlineData("tl-PH", "fil")]
    [InlineData("fil-PH", "fil")]
    [InlineData("iw-IL", "he")]
    [InlineData("in", "id")]
    [InlineData("AR-eg", "ar")]
    [InlineData("es-419", "es")]
    [InlineData("sr-Latn-RS", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Resolve_Bcp47Tag_AnswersInTheSupportedLanguage(string? tag, string? expected) =>
        Assert.Equal(expected, CustomerLanguages.Resolve(tag));

    [Fact]
    public void Resolve_EverySupportedLanguage_IsItself()
    {
        foreach (var language in CustomerLanguages.Supported)
            Assert.Equal(language, CustomerLanguages.Resolve(language));
        Assert.True(CustomerLanguages.Supported.Count >= 20);
    }

    [Theory]
    [InlineData("ar", "rtl")]
    [InlineData("he", "rtl")]
    [InlineData("fil", "ltr")]
    [InlineData("zh-Hant", "ltr")]
    public void Direction_ByLanguage_IsRightToLeftForArabicAndHebrew(string language, string expected) =>
        Assert.Equal(expected, CustomerLanguages.Direction(language));

    [Theory]
    [InlineData("zh-CN", "hans")]
    [InlineData("zh-TW", "hant")]
    [InlineData("zh-Hant-TW", "hant")]
    [InlineData("tl", "fil")]
    [InlineData("de-AT", "de-at")]
    [InlineData("de-CH", "de")]
    [InlineData("ja-JP", "default")]
    public void Texts_RecipientLocale_FallsBackAlongBcp47(string locale, string expectedSubject)
    {
        static SurveyTexts Texts(string subject) => new(T(subject), T(""), T("q"), T("low"), T("high"), T("why"));
        var survey = new SurveyDefinition("s", Texts("default"), Locales: new Dictionary<string, SurveyTexts>(StringComparer.OrdinalIgnoreCase)
        {
            ["zh-Hans"] = Texts("hans"),
            ["zh-Hant"] = Texts("hant"),
            ["fil"] = Texts("fil"),
            ["de"] = Texts("de"),
            ["de-AT"] = Texts("de-at"),
        });
        Assert.Equal(expectedSubject, survey.Texts(locale).Subject.Source);
    }

    private static TextTemplate T(string text) => TextTemplate.TryParse(text, out _)!;
}
