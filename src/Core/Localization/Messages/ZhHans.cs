namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    /// <summary>Simplified Chinese (<c>zh-CN</c>, <c>zh-SG</c>): 您, 退订 (the usual word in mainland SMS).</summary>
    public static readonly MessageTexts ZhHans = new()
    {
        Language = "zh-Hans",
        ReminderPrefix = "提醒：",
        Unsubscribe = "退订",
        ScoreOutOfTen = "{score} 分（满分 10 分）",
        SmsInstructions = "请回复 0（{low}）到 10（{high}）之间的数字。回复 STOP 退订。",
        LowLabel = "完全不可能",
        HighLabel = "极有可能",
        Why = "您给出这个评分的主要原因是什么？",
        OptedIn = "您将重新收到我们的调查。回复 STOP 退订。",
        NoOpenSurvey = "未找到此号码可参与的调查。仍然感谢您！",
        SurveyClosed = "此调查已结束。仍然感谢您！",
        ThanksForFeedback = "感谢您的反馈！",
        ThanksAndWhy = "谢谢！{why}",
        Help = "回复 0 到 10 之间的数字即可参与调查，回复 STOP 退订。",
    };
}
