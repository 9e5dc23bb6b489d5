namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    public static readonly MessageTexts De = new()
    {
        Language = "de",
        ReminderPrefix = "Erinnerung: ",
        Unsubscribe = "Abmelden",
        ScoreOutOfTen = "{score} von 10",
        SmsInstructions = "Antworten Sie mit einer Zahl von 0 ({low}) bis 10 ({high}). Mit STOP melden Sie sich ab.",
        LowLabel = "Äußerst unwahrscheinlich",
        HighLabel = "Äußerst wahrscheinlich",
        Why = "Was ist der wichtigste Grund für Ihre Bewertung?",
        OptedIn = "Sie erhalten unsere Umfragen wieder. Mit STOP melden Sie sich ab.",
        NoOpenSurvey = "Für diese Nummer haben wir keine offene Umfrage gefunden. Trotzdem vielen Dank!",
        SurveyClosed = "Diese Umfrage ist beendet. Trotzdem vielen Dank!",
        ThanksForFeedback = "Vielen Dank für Ihr Feedback!",
        ThanksAndWhy = "Vielen Dank! {why}",
        Help = "Antworten Sie mit einer Zahl von 0 bis 10 auf unsere Umfrage oder mit STOP, um sich abzumelden.",
    };
}
