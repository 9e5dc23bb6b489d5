namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    // Hebrew: plural address ("השיבו", "תקבלו"), the usual gender-neutral form in customer messages.
    public static readonly MessageTexts He = new()
    {
        Language = "he",
        ReminderPrefix = "תזכורת: ",
        Unsubscribe = "הסרה מרשימת התפוצה",
        ScoreOutOfTen = "{score} מתוך 10",
        SmsInstructions = "השיבו במספר מ-0 ({low}) עד 10 ({high}). להסרה השיבו STOP.",
        LowLabel = "בכלל לא סביר",
        HighLabel = "סביר מאוד",
        Why = "מהי הסיבה העיקרית לציון שנתתם?",
        OptedIn = "תקבלו שוב את הסקרים שלנו. להסרה השיבו STOP.",
        NoOpenSurvey = "לא מצאנו סקר פתוח למספר הזה. תודה בכל זאת!",
        SurveyClosed = "הסקר הזה נסגר. תודה בכל זאת!",
        ThanksForFeedback = "תודה על המשוב!",
        ThanksAndWhy = "תודה! {why}",
        Help = "כדי לענות על הסקר השיבו במספר מ-0 עד 10, או STOP להסרה.",
    };
}
