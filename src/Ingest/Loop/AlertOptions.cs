using System.ComponentModel.DataAnnotations;
using NpsTriggers.Core.Nps;

namespace NpsTriggers.Ingest.Loop;

/// <summary>Closing the loop: webhook alerts (Slack-compatible JSON) for responses. Section <c>Alerts</c>.</summary>
public sealed class AlertOptions : IValidatableObject
{
    /// <summary>Webhooks by name, e.g. <c>Alerts:Webhooks:support:Url</c>. The name is part of each delivery's key.</summary>
    /// <value>None by default: no alerts.</value>
    public Dictionary<string, AlertWebhook> Webhooks { get; set; } = [];

    /// <summary>
    /// How long an alert waits before it is sent. A newer change of the same response within that time (typically the
    /// comment typed on the "why?" page after the click) replaces it, so the alert goes out once, with the comment.
    /// </summary>
    /// <value>Defaults to 2 minutes; 0 sends at once (and alerts each change).</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan Delay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Time allowed for one webhook call.</summary>
    /// <value>Defaults to 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, hook) in Webhooks)
        {
            if (!Uri.TryCreate(hook.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                yield return new ValidationResult($"Alerts:Webhooks:{name}:Url must be an absolute http(s) URL.", [nameof(Webhooks)]);
            if (hook.Categories.Length == 0 || hook.Categories.Any(c => !NpsSummary.IsCategory(c)))
                yield return new ValidationResult(
                    $"Alerts:Webhooks:{name}:Categories must list detractor, passive and/or promoter.", [nameof(Webhooks)]);
            if (name.Contains(':', StringComparison.Ordinal))
                yield return new ValidationResult($"Alerts:Webhooks: '{name}' must not contain ':'.", [nameof(Webhooks)]);
        }
    }
}

/// <summary>One alert destination.</summary>
public sealed class AlertWebhook
{
    /// <summary>Where the JSON is POSTed (a Slack incoming-webhook URL, or any endpoint taking that shape).</summary>
    public string Url { get; set; } = "";

    /// <summary>Which response categories alert here.</summary>
    /// <value>Defaults to detractors only.</value>
    public string[] Categories { get; set; } = [NpsSummary.NameOf(NpsCategory.Detractor)];
}
