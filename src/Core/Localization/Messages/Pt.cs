namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    /// <summary>Brazilian Portuguese (<c>pt</c>, <c>pt-BR</c>): "você", "pesquisa".</summary>
    public static readonly MessageTexts Pt = new()
    {
        Language = "pt",
        ReminderPrefix = "Lembrete: ",
        Unsubscribe = "Cancelar inscrição",
        ScoreOutOfTen = "{score} de 10",
        SmsInstructions = "Responda de 0 ({low}) a 10 ({high}). Para sair, envie STOP.",
        LowLabel = "Nada provável",
        HighLabel = "Extremamente provável",
        Why = "Qual é o principal motivo da sua nota?",
        OptedIn = "Você voltará a receber nossas pesquisas. Envie STOP para sair.",
        NoOpenSurvey = "Não encontramos nenhuma pesquisa aberta para este número. Obrigado mesmo assim!",
        SurveyClosed = "Esta pesquisa foi encerrada. Obrigado mesmo assim!",
        ThanksForFeedback = "Obrigado pela sua opinião!",
        ThanksAndWhy = "Obrigado! {why}",
        Help = "Responda com uma nota de 0 a 10 para participar da nossa pesquisa, ou envie STOP para sair.",
    };
}
