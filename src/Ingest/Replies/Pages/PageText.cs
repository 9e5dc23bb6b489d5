using System.Globalization;
using System.Text.RegularExpressions;
using NpsTriggers.Core.Localization;

namespace NpsTriggers.Ingest.Replies.Pages;

/// <summary>
/// The pages' own texts in one language (buttons, messages, the consent, error pages), read from
/// <c>Replies/Pages/Texts/&lt;language&gt;.json</c> by <see cref="PageTexts"/>. The survey's own question, labels and
/// "why?" come from the send rules' per-locale texts; <see cref="Question"/>, <see cref="Low"/>, <see cref="High"/> and
/// <see cref="Why"/> stand in when the rules have none. The scale's ends and the "why?" are the service's built-in survey
/// wording (<see cref="MessageTexts"/>), the same words its emails and SMS use, so they live there only.
/// </summary>
public sealed partial class PageText
{
    private readonly IReadOnlyDictionary<string, string> _texts;

    internal PageText(string language, IReadOnlyDictionary<string, string> texts)
    {
        Language = language;
        _texts = texts;
        Culture = CultureInfo.GetCultureInfo(language);
        // The long date without its weekday: "until Saturday, 5 December" needs a case some languages do not give a
        // weekday after their "until" (ru "до субботы"); "until 5 December 2026" reads right in every one.
        _datePattern = Weekday().Replace(Culture.DateTimeFormat.LongDatePattern, " ").Trim();
    }

    private readonly string _datePattern;

    /// <summary>The language tag the page declares in <c>lang</c> (<c>zh-Hant</c>, <c>pt-PT</c>, …).</summary>
    public string Language { get; }

    /// <summary>Dates and numbers on the page are written the way this culture writes them.</summary>
    public CultureInfo Culture { get; }

    public bool RightToLeft => CustomerLanguages.IsRightToLeft(Language);

    /// <summary>The page's <c>dir</c>.</summary>
    public string Direction => CustomerLanguages.Direction(Language);

    /// <summary>Every text by its key, as the language's file has them.</summary>
    public IReadOnlyDictionary<string, string> All => _texts;

    public string Title => _texts["title"];
    public string Question => _texts["question"];
    public string Low => MessageTexts.For(Language).LowLabel;
    public string High => MessageTexts.For(Language).HighLabel;
    public string Why => MessageTexts.For(Language).Why;
    public string Recorded => _texts["recorded"];
    public string Changed => _texts["changed"];
    public string Confirm => _texts["confirm"];
    public string Consent => _texts["consent"];
    public string Send => _texts["send"];
    public string ChangeUntil => _texts["changeUntil"];
    public string ThanksTitle => _texts["thanksTitle"];
    public string ThanksBody => _texts["thanksBody"];
    public string ClosedTitle => _texts["closedTitle"];
    public string ClosedBody => _texts["closedBody"];
    public string InvalidTitle => _texts["invalidTitle"];
    public string InvalidBody => _texts["invalidBody"];
    public string UnknownTitle => _texts["unknownTitle"];
    public string UnknownBody => _texts["unknownBody"];
    public string ScoreMissing => _texts["scoreMissing"];
    public string CommentTooLong => _texts["commentTooLong"];
    public string UnsubscribeTitle => _texts["unsubscribeTitle"];
    public string UnsubscribeButton => _texts["unsubscribeButton"];
    public string UnsubscribedTitle => _texts["unsubscribedTitle"];
    public string UnsubscribedBody => _texts["unsubscribedBody"];
    public string TooManyTitle => _texts["tooManyTitle"];
    public string TooManyBody => _texts["tooManyBody"];
    public string ErrorTitle => _texts["errorTitle"];
    public string ErrorBody => _texts["errorBody"];

    /// <summary>"{0} out of 10" and the like, with the number written in the page's culture.</summary>
    public string Format(string text, object? value) => string.Format(Culture, text, value);

    /// <summary>A day as the page's language writes it (5 December 2026, 2026年12月5日, 5 декабря 2026 г.).</summary>
    public string Date(DateTimeOffset instant) => instant.UtcDateTime.ToString(_datePattern, Culture);

    [GeneratedRegex(@"\s*dddd[,،]?\s*")]
    private static partial Regex Weekday();

    /// <inheritdoc cref="PageTexts.English"/>
    public static PageText English => PageTexts.English;

    /// <inheritdoc cref="PageTexts.For"/>
    public static PageText For(string? locale, string? acceptLanguage) => PageTexts.For(locale, acceptLanguage);
}
