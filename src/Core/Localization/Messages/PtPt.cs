namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    /// <summary>European Portuguese (<c>pt-PT</c>): third-person address, "inquérito", "subscrição", "encontrámos".</summary>
    public static readonly MessageTexts PtPt = new()
    {
        Language = "pt-PT",
        ReminderPrefix = "Lembrete: ",
        Unsubscribe = "Cancelar subscrição",
        ScoreOutOfTen = "{score} em 10",
        SmsInstructions = "Responda de 0 ({low}) a 10 ({high}). Para sair, envie STOP.",
        LowLabel = "Nada provável",
        HighLabel = "Extremamente provável",
        Why = "Qual é o principal motivo da sua classificação?",
        OptedIn = "Voltará a receber os nossos inquéritos. Envie STOP para sair.",
        NoOpenSurvey = "Não encontrámos nenhum inquérito aberto para este número. Obrigado na mesma!",
        SurveyClosed = "Este inquérito terminou. Obrigado na mesma!",
        ThanksForFeedback = "Obrigado pela sua opinião!",
        ThanksAndWhy = "Obrigado! {why}",
        Help = "Responda com uma classificação de 0 a 10 para participar no nosso inquérito, ou envie STOP para sair.",
    };
}
