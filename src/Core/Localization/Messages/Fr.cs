namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    // "Très probable" rather than "Extrêmement probable": ê is not in the GSM-7 alphabet and would make a default SMS UCS-2.
    public static readonly MessageTexts Fr = new()
    {
        Language = "fr",
        ReminderPrefix = "Rappel : ",
        Unsubscribe = "Se désabonner",
        ScoreOutOfTen = "{score} sur 10",
        SmsInstructions = "Répondez par une note de 0 ({low}) à 10 ({high}). Répondez STOP pour vous désabonner.",
        LowLabel = "Pas du tout probable",
        HighLabel = "Très probable",
        Why = "Quelle est la principale raison de votre note ?",
        OptedIn = "Vous recevrez à nouveau nos enquêtes. Répondez STOP pour vous désabonner.",
        NoOpenSurvey = "Nous n'avons trouvé aucune enquête en cours pour ce numéro. Merci quand même !",
        SurveyClosed = "Cette enquête est terminée. Merci quand même !",
        ThanksForFeedback = "Merci pour votre avis !",
        ThanksAndWhy = "Merci ! {why}",
        Help = "Répondez par une note de 0 à 10 pour participer à notre enquête, ou STOP pour vous désabonner.",
    };
}
