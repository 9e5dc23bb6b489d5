using NpsTriggers.Core.Localization;

namespace NpsTriggers.Ingest.Replies.Sms;

/// <summary>
/// Every text the service answers an SMS reply with, one method per situation, so that they are written (and
/// translated) in one place. <c>language</c> is the person's: their open invitation's locale, else the language of
/// the keyword they sent (<see cref="SmsKeyword.Language"/>), else their latest invitation's, else null (English). The
/// words are <see cref="MessageTexts"/>', in the language <see cref="CustomerLanguages"/> resolves the tag to.
/// </summary>
public static class SmsReplyTexts
{
    /// <summary>After START (or another opt-in keyword) removed the number from the suppression list.</summary>
    public static string OptedIn(string? language) => MessageTexts.For(language).OptedIn;

    /// <summary>A score from a number with no survey that can still be answered.</summary>
    public static string NoOpenSurvey(string? language) => MessageTexts.For(language).NoOpenSurvey;

    /// <summary>A score for a survey that closed between our look-up and the write.</summary>
    public static string Closed(string? language) => MessageTexts.For(language).SurveyClosed;

    /// <summary>After a score with a comment, or the comment that followed a bare score.</summary>
    public static string Thanks(string? language) => MessageTexts.For(language).ThanksForFeedback;

    /// <summary>After a bare score: thanks, then the survey's own "why" question (<paramref name="why"/>, already in the
    /// invitation's language), or <see cref="DefaultWhy"/> when the survey is no longer in the rules.</summary>
    public static string ThanksWhy(string? language, string why) => MessageTexts.Fill(MessageTexts.For(language).ThanksAndWhy, ("why", why));

    /// <summary>The "why" question for a survey the rules no longer define.</summary>
    public static string DefaultWhy(string? language) => MessageTexts.For(language).Why;

    /// <summary>HELP (or a localised help word), and any text we cannot read as an answer.</summary>
    public static string Help(string? language) => MessageTexts.For(language).Help;
}
