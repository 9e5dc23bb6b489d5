namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    // Вы capitalised: a message to one customer.
    public static readonly MessageTexts Ru = new()
    {
        Language = "ru",
        ReminderPrefix = "Напоминание: ",
        Unsubscribe = "Отписаться",
        ScoreOutOfTen = "{score} из 10",
        SmsInstructions = "Ответьте числом от 0 ({low}) до 10 ({high}). Отписаться: STOP.",
        LowLabel = "Крайне маловероятно",
        HighLabel = "Очень вероятно",
        Why = "Какова основная причина Вашей оценки?",
        OptedIn = "Вы снова будете получать наши опросы. Чтобы отписаться, ответьте STOP.",
        NoOpenSurvey = "Для этого номера нет открытых опросов. Всё равно спасибо!",
        SurveyClosed = "Этот опрос завершён. Всё равно спасибо!",
        ThanksForFeedback = "Спасибо за Ваш отзыв!",
        ThanksAndWhy = "Спасибо! {why}",
        Help = "Чтобы ответить на опрос, пришлите число от 0 до 10. Чтобы отписаться, пришлите STOP.",
    };
}
