namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    public static readonly MessageTexts Tr = new()
    {
        Language = "tr",
        ReminderPrefix = "Hatırlatma: ",
        Unsubscribe = "Abonelikten çık",
        ScoreOutOfTen = "10 üzerinden {score}",
        SmsInstructions = "Lütfen 0 ({low}) ile 10 ({high}) arası bir sayıyla yanıtlayın. Çıkmak için STOP yazın.",
        LowLabel = "Hiç olası değil",
        HighLabel = "Son derece olası",
        Why = "Bu puanı vermenizin temel nedeni nedir?",
        OptedIn = "Anketlerimizi yeniden alacaksınız. Ayrılmak için STOP gönderin.",
        NoOpenSurvey = "Bu numara için açık bir anket bulamadık. Yine de teşekkür ederiz!",
        SurveyClosed = "Bu anket sona erdi. Yine de teşekkür ederiz!",
        ThanksForFeedback = "Geri bildiriminiz için teşekkür ederiz!",
        ThanksAndWhy = "Teşekkürler! {why}",
        Help = "Anketimizi yanıtlamak için 0 ile 10 arasında bir sayı, ayrılmak için STOP gönderin.",
    };
}
