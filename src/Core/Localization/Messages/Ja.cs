namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    // Polite です/ます and ご〜ください forms; full-width punctuation, as Japanese customer messages use.
    public static readonly MessageTexts Ja = new()
    {
        Language = "ja",
        ReminderPrefix = "リマインダー：",
        Unsubscribe = "配信停止",
        ScoreOutOfTen = "10点中{score}点",
        SmsInstructions = "0（{low}）〜10（{high}）の数字でご返信ください。配信停止は STOP とご返信ください。",
        LowLabel = "まったく勧めない",
        HighLabel = "ぜひ勧めたい",
        Why = "その点数をつけた一番の理由は何ですか？",
        OptedIn = "アンケートの配信を再開しました。配信停止は STOP とご返信ください。",
        NoOpenSurvey = "この番号で回答できるアンケートが見つかりませんでした。ご協力ありがとうございました。",
        SurveyClosed = "このアンケートは終了しました。ご協力ありがとうございました。",
        ThanksForFeedback = "貴重なご意見をありがとうございました。",
        ThanksAndWhy = "ありがとうございます。{why}",
        Help = "アンケートへの回答は 0〜10 の数字を、配信停止は STOP をご返信ください。",
    };
}
