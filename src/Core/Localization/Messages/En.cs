namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    public static readonly MessageTexts En = new()
    {
        Language = "en",
        ReminderPrefix = "Reminder: ",
        Unsubscribe = "Unsubscribe",
        ScoreOutOfTen = "{score} out of 10",
        SmsInstructions = "Reply with a number from 0 ({low}) to 10 ({high}). Reply STOP to opt out.",
        LowLabel = "Not at all likely",
        HighLabel = "Extremely likely",
        Why = "What is the main reason for your score?",
        OptedIn = "You will receive our surveys again. Reply STOP to opt out.",
        NoOpenSurvey = "We could not find an open survey for this number. Thank you anyway!",
        SurveyClosed = "This survey has closed. Thank you anyway!",
        ThanksForFeedback = "Thank you for your feedback!",
        ThanksAndWhy = "Thank you! {why}",
        Help = "Reply with a number from 0 to 10 to answer our survey, or STOP to opt out.",
    };
}
