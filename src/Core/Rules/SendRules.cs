namespace NpsTriggers.Core.Rules;

/// <summary>The channel a survey goes out on. Issue "Send rules" adds sms and fallbacks.</summary>
public enum SurveyChannel { Email, Sms }

/// <summary>The wording of one survey; every text is a template over <c>recipient.*</c> and kept <c>data.*</c> fields.</summary>
public sealed record SurveyDefinition(
    string Name,
    TextTemplate Subject,
    TextTemplate Intro,
    TextTemplate Question,
    TextTemplate LowLabel,
    TextTemplate HighLabel,
    TextTemplate Why);

/// <summary>One send rule: which event types start which survey, when, on which channel.</summary>
/// <param name="Name">Unique rule name; part of the invitation's idempotency key (event source, id, rule).</param>
/// <param name="On">CloudEvent types that fire the rule.</param>
/// <param name="Survey">Name of a survey in the same file.</param>
/// <param name="Delay">Time from the event to the send.</param>
/// <param name="Channel">Channel to send on.</param>
/// <param name="Keep">Fields of the event's data copied onto the invitation (and each reply) for segmentation.</param>
/// <param name="Expiry">How long the survey links stay answerable after the send.</param>
public sealed record SendRule(
    string Name,
    IReadOnlyList<string> On,
    string Survey,
    TimeSpan Delay,
    SurveyChannel Channel,
    IReadOnlyList<string> Keep,
    TimeSpan Expiry);

/// <summary>A validated send-rules file (format in docs/ARCHITECTURE.md, grown by docs/RULES.md).</summary>
public sealed class SendRules
{
    private readonly Dictionary<string, SendRule[]> _byType;

    public SendRules(int version, IReadOnlyDictionary<string, SurveyDefinition> surveys, IReadOnlyList<SendRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Version = version;
        Surveys = surveys;
        Rules = rules;
        _byType = rules.SelectMany(r => r.On.Select(type => (type, r)))
            .GroupBy(p => p.type, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(p => p.r).ToArray(), StringComparer.Ordinal);
    }

    public int Version { get; }
    public IReadOnlyDictionary<string, SurveyDefinition> Surveys { get; }
    public IReadOnlyList<SendRule> Rules { get; }

    /// <summary>Rules fired by an event type; empty for types no rule names (those events are skipped).</summary>
    public IReadOnlyList<SendRule> For(string eventType) =>
        _byType.TryGetValue(eventType, out var rules) ? rules : [];
}
