using System.Collections.Frozen;

namespace NpsTriggers.Core.Localization;

/// <summary>
/// The service's own words in one language: the chrome around a survey email, the default SMS instructions, the built-in
/// survey wording (used where the send rules leave a text out) and the SMS reply texts. Survey wording written in the
/// send rules always wins; these are what the service says itself. Placeholders are <c>{name}</c>, filled by
/// <see cref="Fill"/>; every language has the same ones as English (a unit test holds them to it).
/// One file per language under <c>Messages/</c>, written by people, not machine translated.
/// </summary>
public sealed record MessageTexts
{
    /// <summary>The language tag, one of <see cref="CustomerLanguages.Supported"/>.</summary>
    public required string Language { get; init; }

    /// <summary>Put before a reminder's email subject and SMS, with its own punctuation and spacing ("Reminder: ", "提醒：").</summary>
    public required string ReminderPrefix { get; init; }

    /// <summary>The unsubscribe link's text in an email.</summary>
    public required string Unsubscribe { get; init; }

    /// <summary>A score link's accessible name: <c>{score}</c>.</summary>
    public required string ScoreOutOfTen { get; init; }

    /// <summary>How to answer by SMS, after the subject and question of the default SMS: <c>{low}</c>, <c>{high}</c>.
    /// Keeps the English keyword STOP, which Twilio and carriers honour in every country.</summary>
    public required string SmsInstructions { get; init; }

    /// <summary>Built-in label of score 0.</summary>
    public required string LowLabel { get; init; }

    /// <summary>Built-in label of score 10.</summary>
    public required string HighLabel { get; init; }

    /// <summary>Built-in follow-up question.</summary>
    public required string Why { get; init; }

    /// <summary>SMS reply to START: surveys will come again.</summary>
    public required string OptedIn { get; init; }

    /// <summary>SMS reply to a score from a number with no open survey.</summary>
    public required string NoOpenSurvey { get; init; }

    /// <summary>SMS reply to a score for a survey that has closed.</summary>
    public required string SurveyClosed { get; init; }

    /// <summary>SMS reply to a comment.</summary>
    public required string ThanksForFeedback { get; init; }

    /// <summary>SMS reply to a bare score, asking the follow-up question: <c>{why}</c>.</summary>
    public required string ThanksAndWhy { get; init; }

    /// <summary>SMS reply to HELP or anything the service does not understand.</summary>
    public required string Help { get; init; }

    /// <summary>English, the fallback for a language without built-in texts.</summary>
    public static MessageTexts English => Messages.BuiltInMessages.En;

    private static readonly FrozenDictionary<string, MessageTexts> ByLanguage = Messages.BuiltInMessages.All
        .ToFrozenDictionary(t => t.Language, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every language's texts, in <see cref="CustomerLanguages.Supported"/> order.</summary>
    public static IEnumerable<MessageTexts> All => CustomerLanguages.Supported.Select(l => ByLanguage[l]);

    /// <summary>The texts for a recipient's BCP 47 tag (<c>zh-CN</c> → <c>zh-Hans</c>), English when none fits.</summary>
    public static MessageTexts For(string? tag) => ByLanguage[CustomerLanguages.For(tag)];

    /// <summary>Every text by name, for checks over the whole catalogue.</summary>
    public IReadOnlyDictionary<string, string> Entries => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [nameof(ReminderPrefix)] = ReminderPrefix, [nameof(Unsubscribe)] = Unsubscribe, [nameof(ScoreOutOfTen)] = ScoreOutOfTen,
        [nameof(SmsInstructions)] = SmsInstructions, [nameof(LowLabel)] = LowLabel, [nameof(HighLabel)] = HighLabel, [nameof(Why)] = Why,
        [nameof(OptedIn)] = OptedIn, [nameof(NoOpenSurvey)] = NoOpenSurvey, [nameof(SurveyClosed)] = SurveyClosed,
        [nameof(ThanksForFeedback)] = ThanksForFeedback, [nameof(ThanksAndWhy)] = ThanksAndWhy, [nameof(Help)] = Help,
    };

    /// <summary>Fills <c>{name}</c> placeholders; values are inserted as they are (escaping is the caller's, per medium).</summary>
    public static string Fill(string text, params (string Name, string Value)[] values)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var (name, value) in values)
            text = text.Replace("{" + name + "}", value, StringComparison.Ordinal);
        return text;
    }
}
