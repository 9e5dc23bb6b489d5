namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    /// <summary>Filipino (<c>fil</c>, <c>tl</c>): "po" and "kayo/inyo" for politeness; "survey" and "feedback" are the words Filipinos use.</summary>
    public static readonly MessageTexts Fil = new()
    {
        Language = "fil",
        ReminderPrefix = "Paalala: ",
        Unsubscribe = "Huwag nang padalhan",
        ScoreOutOfTen = "{score} sa 10",
        SmsInstructions = "Sumagot po ng numero mula 0 ({low}) hanggang 10 ({high}). I-text ang STOP para huminto.",
        LowLabel = "Hindi talaga malamang",
        HighLabel = "Lubos na malamang",
        Why = "Ano po ang pangunahing dahilan ng inyong marka?",
        OptedIn = "Makatatanggap na po kayo ulit ng aming mga survey. I-text ang STOP para huminto.",
        NoOpenSurvey = "Wala po kaming nakitang bukas na survey para sa numerong ito. Salamat pa rin po!",
        SurveyClosed = "Sarado na po ang survey na ito. Salamat pa rin po!",
        ThanksForFeedback = "Salamat po sa inyong feedback!",
        ThanksAndWhy = "Salamat po! {why}",
        Help = "Sumagot po ng numero mula 0 hanggang 10 para sa aming survey, o i-text ang STOP para huminto.",
    };
}
