namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    // Polish: impersonal polite forms ("wystarczy odpisać", "Państwo") instead of the informal imperative.
    public static readonly MessageTexts Pl = new()
    {
        Language = "pl",
        ReminderPrefix = "Przypomnienie: ",
        Unsubscribe = "Rezygnacja z subskrypcji",
        ScoreOutOfTen = "{score} na 10",
        SmsInstructions = "Prosimy odpisać liczbą od 0 ({low}) do 10 ({high}). Rezygnacja: STOP.",
        LowLabel = "Zdecydowanie nie",
        HighLabel = "Zdecydowanie tak",
        Why = "Co jest głównym powodem tej oceny?",
        OptedIn = "Znów będą Państwo otrzymywać nasze ankiety. Aby zrezygnować, wystarczy odpisać STOP.",
        NoOpenSurvey = "Nie znaleźliśmy otwartej ankiety dla tego numeru. Mimo to dziękujemy!",
        SurveyClosed = "Ta ankieta została zakończona. Mimo to dziękujemy!",
        ThanksForFeedback = "Dziękujemy za opinię!",
        ThanksAndWhy = "Dziękujemy! {why}",
        Help = "Aby odpowiedzieć na ankietę, wystarczy odesłać liczbę od 0 do 10. Aby zrezygnować, wystarczy odpisać STOP.",
    };
}
