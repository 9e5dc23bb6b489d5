namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    public static readonly MessageTexts It = new()
    {
        Language = "it",
        ReminderPrefix = "Promemoria: ",
        Unsubscribe = "Annulla l'iscrizione",
        ScoreOutOfTen = "{score} su 10",
        SmsInstructions = "Risponda con un numero da 0 ({low}) a 10 ({high}). Risponda STOP per non ricevere più messaggi.",
        LowLabel = "Per niente probabile",
        HighLabel = "Estremamente probabile",
        Why = "Qual è il motivo principale del suo punteggio?",
        OptedIn = "Riceverà di nuovo i nostri sondaggi. Risponda STOP per non ricevere più messaggi.",
        NoOpenSurvey = "Non abbiamo trovato sondaggi aperti per questo numero. Grazie comunque!",
        SurveyClosed = "Questo sondaggio è chiuso. Grazie comunque!",
        ThanksForFeedback = "Grazie per la sua opinione!",
        ThanksAndWhy = "Grazie! {why}",
        Help = "Risponda con un numero da 0 a 10 per partecipare al nostro sondaggio, oppure STOP per non ricevere più messaggi.",
    };
}
