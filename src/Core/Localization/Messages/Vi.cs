namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    // "Quý khách", the respectful address Vietnamese businesses use with customers.
    public static readonly MessageTexts Vi = new()
    {
        Language = "vi",
        ReminderPrefix = "Nhắc nhở: ",
        Unsubscribe = "Hủy đăng ký",
        ScoreOutOfTen = "{score} trên 10",
        SmsInstructions = "Vui lòng trả lời bằng số từ 0 ({low}) đến 10 ({high}). Trả lời STOP để ngừng nhận tin.",
        LowLabel = "Rất thấp",
        HighLabel = "Rất cao",
        Why = "Lý do chính cho điểm số của Quý khách là gì?",
        OptedIn = "Quý khách sẽ tiếp tục nhận khảo sát của chúng tôi. Trả lời STOP để ngừng nhận tin.",
        NoOpenSurvey = "Chúng tôi không tìm thấy khảo sát nào đang mở cho số điện thoại này. Xin cảm ơn Quý khách!",
        SurveyClosed = "Khảo sát này đã kết thúc. Xin cảm ơn Quý khách!",
        ThanksForFeedback = "Cảm ơn Quý khách đã góp ý!",
        ThanksAndWhy = "Xin cảm ơn! {why}",
        Help = "Trả lời bằng một số từ 0 đến 10 để tham gia khảo sát, hoặc STOP để ngừng nhận tin.",
    };
}
