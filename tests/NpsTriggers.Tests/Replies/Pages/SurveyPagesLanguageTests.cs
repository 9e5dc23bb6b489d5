using System.Net;
using System.Text.RegularExpressions;
using NpsTriggers.Ingest.Replies.Pages;

namespace NpsTriggers.Tests.Replies.Pages;

/// <summary>Every page a customer can see, rendered for a recipient's locale: all of it in their language, none in English.</summary>
public partial class SurveyPagesLanguageTests
{
    private static readonly BrandingOptions Brand = new() { Name = "Acme" };
    private static readonly DateTimeOffset Until = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Each page with the texts it must show, for one language.</summary>
    private static IEnumerable<(string Html, string[] Texts)> Pages(PageText t)
    {
        var wording = new SurveyWording(t.Language, t.Question, t.Low, t.High, t.Language, t.Why);
        yield return (SurveyPages.Form(t, Brand, wording, "/s/x", 7, null, false, null, Until, null, new ScoreAnswer("/s/x/answer", t.Format(t.Recorded, 7))),
            [t.Title, t.Question, t.Low, t.High, t.Why, t.Confirm, t.Consent, t.Send, t.Format(t.Recorded, 7), t.Format(t.ChangeUntil, t.Date(Until))]);
        yield return (SurveyPages.Form(t, Brand, wording, "/s/x", 3, "c", true, t.Format(t.Changed, 3), Until, t.Format(t.CommentTooLong, SurveyPages.MaxComment)),
            [t.Format(t.Changed, 3), t.Format(t.CommentTooLong, SurveyPages.MaxComment)]);
        yield return (SurveyPages.Form(t, Brand, wording, "/s/x", null, null, false, null, null, t.ScoreMissing), [t.ScoreMissing]);
        yield return (SurveyPages.Thanks(t, Brand), [t.ThanksTitle, t.ThanksBody]);
        yield return (SurveyPages.Unsubscribe(t, Brand, "/u/x"), [t.UnsubscribeTitle, t.UnsubscribeButton]);
        yield return (SurveyPages.Unsubscribed(t, Brand), [t.UnsubscribedTitle, t.UnsubscribedBody]);
        foreach (var (title, body) in new[] { (t.ClosedTitle, t.ClosedBody), (t.InvalidTitle, t.InvalidBody), (t.UnknownTitle, t.UnknownBody),
                     (t.TooManyTitle, t.TooManyBody), (t.ErrorTitle, t.ErrorBody) })
            yield return (SurveyPages.Message(t, Brand, title, body), [title, body]);
    }

    [Theory]
    [InlineData("en-GB", "en", "ltr")]
    [InlineData("de-AT", "de", "ltr")]
    [InlineData("fr-CA", "fr", "ltr")]
    [InlineData("es-MX", "es", "ltr")]
    [InlineData("it-CH", "it", "ltr")]
    [InlineData("pt-BR", "pt", "ltr")]
    [InlineData("pt-PT", "pt-PT", "ltr")]
    [InlineData("nl-BE", "nl", "ltr")]
    [InlineData("pl-PL", "pl", "ltr")]
    [InlineData("tr-TR", "tr", "ltr")]
    [InlineData("ar-EG", "ar", "rtl")]
    [InlineData("he-IL", "he", "rtl")]
    [InlineData("ja-JP", "ja", "ltr")]
    [InlineData("ko-KR", "ko", "ltr")]
    [InlineData("zh-CN", "zh-Hans", "ltr")]
    [InlineData("zh-TW", "zh-Hant", "ltr")]
    [InlineData("tl", "fil", "ltr")]
    [InlineData("id-ID", "id", "ltr")]
    [InlineData("vi-VN", "vi", "ltr")]
    [InlineData("hi-IN", "hi", "ltr")]
    [InlineData("ru-RU", "ru", "ltr")]
    public void Pages_ForARecipientLocale_SpeakItsLanguageWithLangAndDirAndNoEnglish(string locale, string language, string direction)
    {
        var t = PageText.For(locale, "en-US,en;q=0.9");
        t.Language.ShouldBe(language);
        var english = EnglishFragments().ToList();
        foreach (var (html, texts) in Pages(t))
        {
            html.ShouldContain($"<html lang=\"{language}\" dir=\"{direction}\">");
            var visible = VisibleText(html);
            foreach (var text in texts)
                visible.ShouldContain(text);
            if (language == "en")
                continue;
            foreach (var fragment in english)
                Regex.IsMatch(visible, $@"(?<!\w){Regex.Escape(fragment)}(?!\w)").ShouldBeFalse($"English '{fragment}' on the {language} page:\n{visible}");
        }
    }

    [Fact]
    public void Form_SurveyTextInAnotherLanguage_IsMarkedWithItsLanguageAndDirection()
    {
        var t = PageText.For("en", null);
        var html = SurveyPages.Form(t, Brand, new SurveyWording("ar", "ما مدى احتمال أن توصي بنا؟", t.Low, t.High, "de", "Warum?"), "/s/x", 5, null, false, null, null, null);
        html.ShouldContain("<legend lang=\"ar\" dir=\"rtl\">");
        html.ShouldContain("<label for=\"comment\" lang=\"de\">");
    }

    /// <summary>The English texts' words, split at their placeholders; short pieces ("10.") say nothing about language.</summary>
    private static IEnumerable<string> EnglishFragments() =>
        PageTexts.English.All.Values.SelectMany(text => Placeholder().Split(text)).Select(f => f.Trim()).Where(f => f.Length >= 4).Distinct();

    /// <summary>What a reader sees: text outside tags, the title, and the notice the script swaps in (data-recorded).</summary>
    private static string VisibleText(string html)
    {
        var withoutCode = Regex.Replace(html, "<(script|style)>.*?</\\1>", " ", RegexOptions.Singleline);
        var recorded = Regex.Matches(withoutCode, "data-recorded=\"([^\"]*)\"").Select(m => m.Groups[1].Value);
        return WebUtility.HtmlDecode(Regex.Replace(withoutCode, "<[^>]*>", " ") + " " + string.Join(" ", recorded));
    }

    [GeneratedRegex(@"\{\d+\}")]
    private static partial Regex Placeholder();
}
