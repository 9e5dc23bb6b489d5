namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    public static readonly MessageTexts Id = new()
    {
        Language = "id",
        ReminderPrefix = "Pengingat: ",
        Unsubscribe = "Berhenti berlangganan",
        ScoreOutOfTen = "{score} dari 10",
        SmsInstructions = "Balas dengan angka 0 ({low}) sampai 10 ({high}). Balas STOP untuk berhenti.",
        LowLabel = "Sangat tidak mungkin",
        HighLabel = "Sangat mungkin",
        Why = "Apa alasan utama Anda memberikan nilai tersebut?",
        OptedIn = "Anda akan kembali menerima survei kami. Balas STOP untuk berhenti.",
        NoOpenSurvey = "Kami tidak menemukan survei yang masih terbuka untuk nomor ini. Terima kasih atas perhatian Anda!",
        SurveyClosed = "Survei ini sudah ditutup. Terima kasih atas perhatian Anda!",
        ThanksForFeedback = "Terima kasih atas masukan Anda!",
        ThanksAndWhy = "Terima kasih! {why}",
        Help = "Balas dengan angka 0 sampai 10 untuk menjawab survei kami, atau STOP untuk berhenti.",
    };
}
