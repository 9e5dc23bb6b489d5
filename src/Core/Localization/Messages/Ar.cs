namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    // Modern Standard Arabic; STOP stays in Latin letters, the keyword carriers act on.
    public static readonly MessageTexts Ar = new()
    {
        Language = "ar",
        ReminderPrefix = "تذكير: ",
        Unsubscribe = "إلغاء الاشتراك",
        ScoreOutOfTen = "{score} من 10",
        SmsInstructions = "يُرجى الرد برقم من 0 ({low}) إلى 10 ({high}). لإلغاء الاشتراك أرسل STOP.",
        LowLabel = "غير محتمل على الإطلاق",
        HighLabel = "محتمل للغاية",
        Why = "ما السبب الرئيسي لتقييمك؟",
        OptedIn = "ستصلك استطلاعاتنا مجددًا. لإلغاء الاشتراك أرسل STOP.",
        NoOpenSurvey = "لم نعثر على استطلاع مفتوح لهذا الرقم. شكرًا لك على أي حال!",
        SurveyClosed = "انتهى هذا الاستطلاع. شكرًا لك على أي حال!",
        ThanksForFeedback = "شكرًا لك على ملاحظاتك!",
        ThanksAndWhy = "شكرًا لك! {why}",
        Help = "للإجابة على استطلاعنا أرسل رقمًا من 0 إلى 10، أو أرسل STOP لإلغاء الاشتراك.",
    };
}
