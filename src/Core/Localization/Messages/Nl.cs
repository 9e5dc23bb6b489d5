namespace NpsTriggers.Core.Localization.Messages;

internal static partial class BuiltInMessages
{
    public static readonly MessageTexts Nl = new()
    {
        Language = "nl",
        ReminderPrefix = "Herinnering: ",
        Unsubscribe = "Afmelden",
        ScoreOutOfTen = "{score} van 10",
        SmsInstructions = "Antwoord met een cijfer van 0 ({low}) tot 10 ({high}). Stuur STOP om u af te melden.",
        LowLabel = "Zeer onwaarschijnlijk",
        HighLabel = "Zeer waarschijnlijk",
        Why = "Wat is de belangrijkste reden voor uw score?",
        OptedIn = "U ontvangt onze enquêtes weer. Stuur STOP om u af te melden.",
        NoOpenSurvey = "We hebben voor dit nummer geen openstaande enquête gevonden. Toch bedankt!",
        SurveyClosed = "Deze enquête is gesloten. Toch bedankt!",
        ThanksForFeedback = "Bedankt voor uw feedback!",
        ThanksAndWhy = "Bedankt! {why}",
        Help = "Antwoord met een cijfer van 0 tot 10 om onze enquête in te vullen, of stuur STOP om u af te melden.",
    };
}
