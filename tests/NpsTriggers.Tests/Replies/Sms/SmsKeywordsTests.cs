using NpsTriggers.Core.Localization;
using NpsTriggers.Ingest.Replies.Sms;

namespace NpsTriggers.Tests.Sms;

public sealed class SmsKeywordsTests
{
    [Theory]
    [InlineData("STOP", SmsKeywordKind.OptOut, null)]
    [InlineData("  stop\n", SmsKeywordKind.OptOut, null)]
    [InlineData("Stop.", SmsKeywordKind.OptOut, null)]
    [InlineData("ＳＴＯＰ", SmsKeywordKind.OptOut, null)] // full-width, as CJK keyboards type it
    [InlineData("unsubscribe", SmsKeywordKind.OptOut, null)]
    [InlineData("arrêt", SmsKeywordKind.OptOut, "fr")]
    [InlineData("ARRET", SmsKeywordKind.OptOut, "fr")]
    [InlineData("Stopp", SmsKeywordKind.OptOut, "de")]
    [InlineData("baja", SmsKeywordKind.OptOut, "es")]
    [InlineData("退订", SmsKeywordKind.OptOut, "zh-Hans")]
    [InlineData("td", SmsKeywordKind.OptOut, "zh-Hans")]
    [InlineData("停止", SmsKeywordKind.OptOut, null)] // Chinese and Japanese alike
    [InlineData("配信停止", SmsKeywordKind.OptOut, "ja")]
    [InlineData("해지", SmsKeywordKind.OptOut, "ko")]
    [InlineData("إيقاف", SmsKeywordKind.OptOut, "ar")]
    [InlineData("ايقاف", SmsKeywordKind.OptOut, "ar")]
    [InlineData("עצור", SmsKeywordKind.OptOut, "he")]
    [InlineData("стоп", SmsKeywordKind.OptOut, "ru")]
    [InlineData("iptal", SmsKeywordKind.OptOut, "tr")]
    [InlineData("İPTAL", SmsKeywordKind.OptOut, "tr")]
    [InlineData("start", SmsKeywordKind.OptIn, null)]
    [InlineData("Yes!", SmsKeywordKind.OptIn, null)]
    [InlineData("UNSTOP", SmsKeywordKind.OptIn, null)]
    [InlineData("alta", SmsKeywordKind.OptIn, "es")]
    [InlineData("help", SmsKeywordKind.Help, null)]
    [InlineData("HELP?", SmsKeywordKind.Help, null)]
    [InlineData("ｈｅｌｐ", SmsKeywordKind.Help, null)]
    [InlineData("Info", SmsKeywordKind.Help, null)]
    [InlineData("Hilfe", SmsKeywordKind.Help, "de")]
    [InlineData("aide", SmsKeywordKind.Help, "fr")]
    [InlineData("¿Ayuda?", SmsKeywordKind.Help, "es")]
    [InlineData("aiuto", SmsKeywordKind.Help, "it")]
    [InlineData("ajuda", SmsKeywordKind.Help, "pt")]
    [InlineData("hulp", SmsKeywordKind.Help, "nl")]
    [InlineData("pomoc", SmsKeywordKind.Help, "pl")]
    [InlineData("yardım", SmsKeywordKind.Help, "tr")]
    [InlineData("مساعدة", SmsKeywordKind.Help, "ar")]
    [InlineData("עזרה", SmsKeywordKind.Help, "he")]
    [InlineData("ヘルプ", SmsKeywordKind.Help, "ja")]
    [InlineData("ﾍﾙﾌﾟ", SmsKeywordKind.Help, "ja")] // half-width katakana, NFKC makes it ヘルプ
    [InlineData("도움말", SmsKeywordKind.Help, "ko")]
    [InlineData("帮助", SmsKeywordKind.Help, "zh-Hans")]
    [InlineData("幫助", SmsKeywordKind.Help, "zh-Hant")]
    [InlineData("Tulong", SmsKeywordKind.Help, "fil")]
    [InlineData("bantuan", SmsKeywordKind.Help, "id")]
    [InlineData("Trợ giúp", SmsKeywordKind.Help, "vi")]
    [InlineData("tro  giup", SmsKeywordKind.Help, "vi")]
    [InlineData("मदद", SmsKeywordKind.Help, "hi")]
    [InlineData("Помощь", SmsKeywordKind.Help, "ru")]
    public void Match_AKeywordInAnyCaseWidthOrAccent_IsRecognisedWithItsLanguage(string body, SmsKeywordKind kind, string? language) =>
        SmsKeywords.Match(body).ShouldBe(new SmsKeyword(kind, language));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("9")]
    [InlineData("great courier")]
    [InlineData("9 stop calling me")]
    [InlineData("please help me with my order")]
    [InlineData("stopping by was nice")]
    [InlineData("S T O P")]
    public void Match_AnAnswerOrASentenceContainingAKeyword_IsNoKeyword(string? body) =>
        SmsKeywords.Match(body).ShouldBe(SmsKeyword.None);

    [Fact]
    public void Match_EveryLanguageItNames_IsASupportedCustomerLanguage()
    {
        string[] samples = ["arret", "stopp", "baja", "parar", "退订", "取消訂閱", "配信停止", "해지", "إيقاف", "הסר", "стоп", "ret", "berhenti", "alta",
            "hilfe", "aide", "ayuda", "aiuto", "ajuda", "hulp", "pomoc", "yardim", "مساعدة", "עזרה", "ヘルプ", "도움말", "帮助", "幫助", "tulong", "bantuan",
            "tro giup", "मदद", "помощь"];
        foreach (var sample in samples)
        {
            var language = SmsKeywords.Match(sample).Language;
            language.ShouldNotBeNull(sample);
            CustomerLanguages.Supported.ShouldContain(language, sample);
        }
    }
}
