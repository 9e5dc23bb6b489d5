namespace NpsTriggers.Ingest.Replies.Sms;

/// <summary>
/// Every text the service answers an SMS reply with, one method per situation, so that they are written (and
/// translated) in one place. <c>language</c> is the person's: their open invitation's locale, else the language of
/// the keyword they sent (<see cref="SmsKeyword.Language"/>), else null. The texts are English for every language
/// for now.
/// </summary>
public static class SmsReplyTexts
{
    /// <summary>After START (or another opt-in keyword) removed the number from the suppression list.</summary>
    public static string OptedIn(string? language) => "You will receive our surveys again. Reply STOP to opt out.";

    /// <summary>A score from a number with no survey that can still be answered.</summary>
    public static string NoOpenSurvey(string? language) => "We could not find an open survey for this number. Thank you anyway!";

    /// <summary>A score for a survey that closed between our look-up and the write.</summary>
    public static string Closed(string? language) => "This survey has closed. Thank you anyway!";

    /// <summary>After a score with a comment, or the comment that followed a bare score.</summary>
    public static string Thanks(string? language) => "Thank you for your feedback!";

    /// <summary>After a bare score: thanks, then the survey's own "why" question (<paramref name="why"/>, already in the
    /// invitation's language), or <see cref="DefaultWhy"/> when the survey is no longer in the rules.</summary>
    public static string ThanksWhy(string? language, string why) => $"Thank you! {why}";

    /// <summary>The "why" question for a survey the rules no longer define.</summary>
    public static string DefaultWhy(string? language) => "What is the main reason for your score?";

    /// <summary>HELP (or a localised help word), and any text we cannot read as an answer.</summary>
    public static string Help(string? language) => "Reply with a number from 0 to 10 to answer our survey, or STOP to opt out.";
}
