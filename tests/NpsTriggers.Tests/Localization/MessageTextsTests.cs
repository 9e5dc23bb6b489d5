using System.Text.RegularExpressions;
using NpsTriggers.Core.Localization;

namespace NpsTriggers.Tests.Localization;

public sealed partial class MessageTextsTests
{
    public static TheoryData<string> Languages => [.. CustomerLanguages.Supported];

    [Fact]
    public void All_SupportedLanguages_EachHaveTheirOwnTexts()
    {
        MessageTexts.All.Select(t => t.Language).ShouldBe(CustomerLanguages.Supported);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void Entries_EveryLanguage_HasEveryTextWithEnglishPlaceholders(string language)
    {
        var texts = MessageTexts.For(language);
        texts.Language.ShouldBe(language);
        var english = MessageTexts.English.Entries;
        texts.Entries.Keys.ShouldBe(english.Keys);
        foreach (var (key, text) in texts.Entries)
        {
            text.Trim().ShouldNotBeEmpty($"{language} {key}");
            Placeholders(text).ShouldBe(Placeholders(english[key]), $"{language} {key}: {text}");
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void Entries_NonEnglish_AreTranslatedAndKeepTheStopKeyword(string language)
    {
        var texts = MessageTexts.For(language);
        foreach (var (key, english) in MessageTexts.English.Entries)
        {
            var text = texts.Entries[key];
            // Carriers act on the English keyword in every country, so it stays, with the language's words around it.
            if (english.Contains("STOP", StringComparison.Ordinal))
                text.ShouldContain("STOP", Case.Sensitive, $"{language} {key}");
            if (language != "en")
                text.ShouldNotBe(english, $"{language} {key} is still English");
        }
    }

    [Theory]
    [InlineData("zh-CN", "zh-Hans", "退订")]
    [InlineData("zh-TW", "zh-Hant", "取消訂閱")]
    [InlineData("zh-HK", "zh-Hant", "取消訂閱")]
    [InlineData("tl", "fil", "Huwag nang padalhan")]
    [InlineData("fil-PH", "fil", "Huwag nang padalhan")]
    [InlineData("pt-BR", "pt", "Cancelar inscrição")]
    [InlineData("pt-PT", "pt-PT", "Cancelar subscrição")]
    [InlineData("ar-EG", "ar", "إلغاء الاشتراك")]
    [InlineData("sr-RS", "en", "Unsubscribe")]
    [InlineData(null, "en", "Unsubscribe")]
    public void For_RegionalTag_FallsBackAlongBcp47(string? tag, string language, string unsubscribe)
    {
        var texts = MessageTexts.For(tag);
        texts.Language.ShouldBe(language);
        texts.Unsubscribe.ShouldBe(unsubscribe);
    }

    [Fact]
    public void Fill_NamedPlaceholders_InsertsValuesAsGiven()
    {
        MessageTexts.Fill(MessageTexts.For("ja").SmsInstructions, ("low", "低"), ("high", "高"))
            .ShouldBe("0（低）〜10（高）の数字でご返信ください。配信停止は STOP とご返信ください。");
    }

    private static string[] Placeholders(string text) =>
        [.. Placeholder().Matches(text).Select(m => m.Value).Order(StringComparer.Ordinal)];

    [GeneratedRegex(@"\{[a-z]+\}")]
    private static partial Regex Placeholder();
}
