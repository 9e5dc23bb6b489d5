namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    /// <summary>Traditional Chinese (<c>zh-TW</c>, <c>zh-HK</c>): 您, 回覆, 取消訂閱.</summary>
    public static readonly MessageTexts ZhHant = new()
    {
        Language = "zh-Hant",
        ReminderPrefix = "提醒：",
        Unsubscribe = "取消訂閱",
        ScoreOutOfTen = "{score} 分（滿分 10 分）",
        SmsInstructions = "請回覆 0（{low}）到 10（{high}）之間的數字。回覆 STOP 取消訂閱。",
        LowLabel = "完全不可能",
        HighLabel = "極有可能",
        Why = "您給出這個評分的主要原因是什麼？",
        OptedIn = "您將重新收到我們的調查。回覆 STOP 取消訂閱。",
        NoOpenSurvey = "找不到此號碼可參與的調查。仍然感謝您！",
        SurveyClosed = "此調查已結束。仍然感謝您！",
        ThanksForFeedback = "感謝您的意見回饋！",
        ThanksAndWhy = "謝謝！{why}",
        Help = "回覆 0 到 10 之間的數字即可參與調查，回覆 STOP 取消訂閱。",
    };
}
