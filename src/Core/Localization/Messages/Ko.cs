namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    // Formal polite endings (-습니다, -해 주세요), as Korean customer messages use.
    public static readonly MessageTexts Ko = new()
    {
        Language = "ko",
        ReminderPrefix = "[다시 알림] ",
        Unsubscribe = "수신 거부",
        ScoreOutOfTen = "10점 만점에 {score}점",
        SmsInstructions = "0({low})~10({high}) 사이의 숫자로 답장해 주세요. 수신 거부는 STOP으로 답장해 주세요.",
        LowLabel = "전혀 추천하지 않음",
        HighLabel = "적극 추천함",
        Why = "그렇게 평가하신 가장 큰 이유는 무엇입니까?",
        OptedIn = "설문을 다시 받으실 수 있습니다. 수신 거부는 STOP으로 답장해 주세요.",
        NoOpenSurvey = "이 번호로 진행 중인 설문을 찾지 못했습니다. 그래도 감사합니다!",
        SurveyClosed = "이 설문은 종료되었습니다. 그래도 감사합니다!",
        ThanksForFeedback = "소중한 의견 감사합니다!",
        ThanksAndWhy = "감사합니다! {why}",
        Help = "설문에 응답하시려면 0~10 사이의 숫자를, 수신 거부는 STOP을 보내 주세요.",
    };
}
