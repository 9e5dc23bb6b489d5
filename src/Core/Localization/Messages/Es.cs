namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    // The SMS instructions say "nota" rather than "número": ú is not in the GSM-7 alphabet and would make the SMS UCS-2.
    public static readonly MessageTexts Es = new()
    {
        Language = "es",
        ReminderPrefix = "Recordatorio: ",
        Unsubscribe = "Cancelar suscripción",
        ScoreOutOfTen = "{score} de 10",
        SmsInstructions = "Responda con una nota del 0 ({low}) al 10 ({high}). Responda STOP para darse de baja.",
        LowLabel = "Nada probable",
        HighLabel = "Muy probable",
        Why = "¿Cuál es el motivo principal de su puntuación?",
        OptedIn = "Volverá a recibir nuestras encuestas. Responda STOP para darse de baja.",
        NoOpenSurvey = "No encontramos ninguna encuesta abierta para este número. ¡Gracias de todos modos!",
        SurveyClosed = "Esta encuesta ha finalizado. ¡Gracias de todos modos!",
        ThanksForFeedback = "¡Gracias por su opinión!",
        ThanksAndWhy = "¡Gracias! {why}",
        Help = "Responda con una nota del 0 al 10 para contestar nuestra encuesta, o STOP para darse de baja.",
    };
}
