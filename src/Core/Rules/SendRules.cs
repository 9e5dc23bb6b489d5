using NpsTriggers.Core.Localization;

namespace NpsTriggers.Core.Rules;

/// <summary>
/// How a rule picks the channel: always email, always SMS, the recipient's preferred one
/// (<c>data.recipient.preferredChannel</c>, else email when there is an address), or email falling back to SMS
/// when there is no usable address or the email fails permanently.
/// </summary>
public enum SurveyChannel { Email, Sms, Preferred, EmailThenSms }

/// <summary>The texts of a survey in one language; every text is a template over <c>recipient.*</c> and kept <c>data.*</c> fields.</summary>
public sealed record SurveyTexts(
    TextTemplate Subject,
    TextTemplate Intro,
    TextTemplate Question,
    TextTemplate LowLabel,
    TextTemplate HighLabel,
    TextTemplate Why,
    TextTemplate? Sms = null)
{
    public IEnumerable<TextTemplate> All => Sms is null ? [Subject, Intro, Question, LowLabel, HighLabel, Why] : [Subject, Intro, Question, LowLabel, HighLabel, Why, Sms];
}

/// <summary>The wording of one survey, with translations under <c>locales:</c>.</summary>
/// <param name="Recontact">Per-survey throttle: nobody gets this survey twice within it (null: the file's default).</param>
/// <param name="Locales">Texts per language tag (<c>de</c>, <c>de-AT</c>); a text a locale leaves out falls back to the default.</param>
public sealed record SurveyDefinition(
    string Name,
    SurveyTexts Default,
    TimeSpan? Recontact = null,
    IReadOnlyDictionary<string, SurveyTexts>? Locales = null)
{
    /// <summary>
    /// The texts for a recipient's locale: the exact tag (<c>zh-CN</c>), else the language it resolves to under BCP 47
    /// (<c>zh-Hans</c>, see <see cref="CustomerLanguages"/>), else its primary language (<c>zh</c>), else the default.
    /// </summary>
    public SurveyTexts Texts(string? locale) => Match(locale).Texts;

    /// <summary>The texts <see cref="Texts"/> picks and the <c>locales:</c> key it found them under; null for the default texts.</summary>
    public (SurveyTexts Texts, string? Key) Match(string? locale)
    {
        if (Locales is { Count: > 0 })
            foreach (var key in CustomerLanguages.LookupKeys(locale))
                if (Locales.TryGetValue(key, out var texts))
                    return (texts, key);
        return (Default, null);
    }

    /// <summary>Every template of the survey, in every language (for validation).</summary>
    public IEnumerable<TextTemplate> AllTemplates => Default.All.Concat((Locales?.Values ?? []).SelectMany(t => t.All));
}

/// <summary>An event type that cancels a rule's pending invitation when <see cref="Match"/> (a data field) is equal in both events.</summary>
public sealed record CancelTrigger(string Type, string Match);

/// <summary>Reminders to people who have not answered: how many, and how long after the previous message.</summary>
public sealed record ReminderPolicy(int Count, TimeSpan After)
{
    public static readonly ReminderPolicy Default = new(1, TimeSpan.FromDays(7));
}

/// <summary>One send rule (docs/RULES.md).</summary>
/// <param name="Name">Unique rule name; part of the invitation's idempotency key (event source, id, rule).</param>
/// <param name="On">CloudEvent types that fire the rule.</param>
/// <param name="Survey">Name of a survey in the same file.</param>
/// <param name="Delay">Time from the event (or <paramref name="DelayFrom"/>) to the send.</param>
/// <param name="Channel">Channel to send on.</param>
/// <param name="Keep">Fields of the event's data copied onto the invitation (and each reply) for segmentation.</param>
/// <param name="Expiry">How long the survey links stay answerable after the send.</param>
/// <param name="When">Conditions on the event's data; null matches every event of the types.</param>
/// <param name="DelayFrom">A timestamp field of the data the delay counts from, instead of the event's time.</param>
/// <param name="Window">When sends may go out in the recipient's zone; null is any time.</param>
/// <param name="TimeZone">The zone for <paramref name="Window"/> when the event names none.</param>
/// <param name="SamplePercent">Share of people surveyed, decided per person and survey; null is everyone.</param>
/// <param name="CancelOn">Events that cancel the pending invitation (and stop its reminders).</param>
/// <param name="Line">Line of the rule in its file, for explanations.</param>
/// <param name="Every">For a relational rule (no <paramref name="On"/>): survey each known person this often.</param>
/// <param name="CancelHorizon">
/// How long a cancelling event is remembered for a trigger that arrives after it (out of order, from another partition or
/// the HTTP API); null is <see cref="DefaultCancelHorizon"/>.
/// </param>
public sealed record SendRule(
    string Name,
    IReadOnlyList<string> On,
    string Survey,
    TimeSpan Delay,
    SurveyChannel Channel,
    IReadOnlyList<string> Keep,
    TimeSpan Expiry,
    Condition? When = null,
    string? DelayFrom = null,
    SendWindow? Window = null,
    string? TimeZone = null,
    decimal? SamplePercent = null,
    IReadOnlyList<CancelTrigger>? CancelOn = null,
    ReminderPolicy? Reminders = null,
    int Line = 0,
    TimeSpan? Every = null,
    TimeSpan? CancelHorizon = null)
{
    /// <summary>How long a cancel is remembered when the rule does not say: 30 days.</summary>
    public static readonly TimeSpan DefaultCancelHorizon = TimeSpan.FromDays(30);

    public TimeSpan EffectiveCancelHorizon => CancelHorizon ?? DefaultCancelHorizon;

    /// <summary>A relational rule surveys every known person each <see cref="Every"/>, independent of events.</summary>
    public bool IsRelational => Every is not null;

    public ReminderPolicy EffectiveReminders => Reminders ?? ReminderPolicy.Default;
    public IReadOnlyList<CancelTrigger> Cancels => CancelOn ?? [];
}

/// <summary>A named set of surveys that share a recontact period.</summary>
public sealed record ThrottleGroup(string Name, IReadOnlySet<string> Surveys, TimeSpan Period);

/// <summary>
/// Recontact periods. Every scope applies at once; a send is throttled when any is violated, and explanations name
/// the first violated in the order survey, group, global.
/// </summary>
public sealed record ThrottlePolicy(TimeSpan Global, TimeSpan SurveyDefault, IReadOnlyList<ThrottleGroup> Groups)
{
    public static readonly ThrottlePolicy Default = new(TimeSpan.FromDays(30), TimeSpan.FromDays(90), []);

    /// <summary>The longest period that can matter, for the history query.</summary>
    public TimeSpan Longest(IEnumerable<SurveyDefinition> surveys) =>
        new[] { Global, SurveyDefault }.Concat(Groups.Select(g => g.Period)).Concat(surveys.Select(s => s.Recontact ?? TimeSpan.Zero)).Max();
}

/// <summary>A validated send-rules file.</summary>
public sealed class SendRules
{
    private readonly Dictionary<string, SendRule[]> _byType;
    private readonly Dictionary<string, (SendRule Rule, CancelTrigger Trigger)[]> _cancelsByType;

    public SendRules(int version, IReadOnlyDictionary<string, SurveyDefinition> surveys, IReadOnlyList<SendRule> rules, ThrottlePolicy? throttle = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Version = version;
        Surveys = surveys;
        Rules = rules;
        Throttle = throttle ?? ThrottlePolicy.Default;
        _byType = rules.Where(r => !r.IsRelational).SelectMany(r => r.On.Select(type => (type, r)))
            .GroupBy(p => p.type, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(p => p.r).ToArray(), StringComparer.Ordinal);
        _cancelsByType = rules.SelectMany(r => r.Cancels.Select(c => (c.Type, Pair: (r, c))))
            .GroupBy(p => p.Type, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(p => p.Pair).ToArray(), StringComparer.Ordinal);
    }

    public int Version { get; }
    public IReadOnlyDictionary<string, SurveyDefinition> Surveys { get; }
    public IReadOnlyList<SendRule> Rules { get; }
    public ThrottlePolicy Throttle { get; }

    /// <summary>Rules fired by an event type, in file order; empty for types no rule names.</summary>
    public IReadOnlyList<SendRule> For(string eventType) =>
        _byType.TryGetValue(eventType, out var rules) ? rules : [];

    /// <summary>Rules whose pending invitations an event of this type cancels.</summary>
    public IReadOnlyList<(SendRule Rule, CancelTrigger Trigger)> CancelledBy(string eventType) =>
        _cancelsByType.TryGetValue(eventType, out var pairs) ? pairs : [];

    /// <summary>Whether any rule reacts to the type (fires or cancels); other events are skipped.</summary>
    public bool Knows(string eventType) => _byType.ContainsKey(eventType) || _cancelsByType.ContainsKey(eventType);

    public TimeSpan RecontactPeriod(string survey) =>
        Surveys.TryGetValue(survey, out var definition) && definition.Recontact is { } period ? period : Throttle.SurveyDefault;
}
