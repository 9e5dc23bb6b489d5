namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    // आप and कृपया; "सर्वे" is the word Hindi speakers use (सर्वेक्षण reads as officialese).
    public static readonly MessageTexts Hi = new()
    {
        Language = "hi",
        ReminderPrefix = "रिमाइंडर: ",
        Unsubscribe = "सदस्यता छोड़ें",
        ScoreOutOfTen = "10 में से {score}",
        SmsInstructions = "कृपया 0 ({low}) से 10 ({high}) तक कोई संख्या भेजें। बंद करने के लिए STOP भेजें।",
        LowLabel = "बिल्कुल संभावना नहीं",
        HighLabel = "बहुत अधिक संभावना",
        Why = "आपके स्कोर का मुख्य कारण क्या है?",
        OptedIn = "आपको हमारे सर्वे फिर से मिलेंगे। संदेश बंद करने के लिए STOP भेजें।",
        NoOpenSurvey = "इस नंबर के लिए कोई खुला सर्वे नहीं मिला। फिर भी धन्यवाद!",
        SurveyClosed = "यह सर्वे बंद हो चुका है। फिर भी धन्यवाद!",
        ThanksForFeedback = "आपकी प्रतिक्रिया के लिए धन्यवाद!",
        ThanksAndWhy = "धन्यवाद! {why}",
        Help = "हमारे सर्वे का जवाब देने के लिए 0 से 10 तक की संख्या भेजें, या संदेश बंद करने के लिए STOP भेजें।",
    };
}
