using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Core.Sms;

/// <summary>SMS through Twilio's REST API (with the Twilio SDK). Section <c>Twilio</c>. Leave <see cref="AccountSid"/> empty to run without SMS.</summary>
public sealed class TwilioOptions : IValidatableObject
{
    /// <summary>Account SID (<c>AC…</c>); empty turns SMS off (sms invitations then fail with a reason).</summary>
    public string? AccountSid { get; set; }

    /// <summary>Auth token: the basic-auth password for the API and the key of <c>X-Twilio-Signature</c>. Keep it in a secret.</summary>
    public string? AuthToken { get; set; }

    /// <summary>Sender number in E.164; or use <see cref="MessagingServiceSid"/>.</summary>
    public string? From { get; set; }

    /// <summary>Messaging service SID (<c>MG…</c>), instead of <see cref="From"/>.</summary>
    public string? MessagingServiceSid { get; set; }

    /// <summary>API base address. The SDK always addresses <c>https://api.twilio.com</c>; any other value here makes the
    /// "twilio" HttpClient send its requests there instead (a path is kept as a prefix).</summary>
    /// <value>Defaults to <c>https://api.twilio.com</c>; tests point it at a local stand-in.</value>
    [Required]
    public Uri BaseAddress { get; set; } = new("https://api.twilio.com");

    /// <summary>Region for phone numbers written without a country code (ISO 3166 alpha-2).</summary>
    /// <value>Defaults to <c>DE</c>.</value>
    public string DefaultRegion { get; set; } = "DE";

    /// <summary>
    /// When a status callback reports 30001 (queue overflow: the message expired in Twilio's queue and never went
    /// out), the invitation is scheduled again this much later.
    /// </summary>
    /// <value>Defaults to 15 minutes.</value>
    public TimeSpan QueueOverflowResendAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long the Twilio circuit stays open after repeated failures (half of 10 or more calls within 30 s).</summary>
    /// <value>Defaults to 15 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a handled webhook's keys (<c>I-Twilio-Idempotency-Token</c>, inbound <c>MessageSid</c>, status) are kept,
    /// so that a replay within it changes nothing. Twilio itself retries within hours; longer keeps captured requests out.
    /// </summary>
    /// <value>Defaults to 30 days.</value>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan WebhookReceiptRetention { get; set; } = TimeSpan.FromDays(30);

    public bool Enabled => !string.IsNullOrWhiteSpace(AccountSid);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
            yield break;
        if (string.IsNullOrWhiteSpace(AuthToken))
            yield return new ValidationResult("Twilio:AuthToken is required when Twilio:AccountSid is set.", [nameof(AuthToken)]);
        if (string.IsNullOrWhiteSpace(From) == string.IsNullOrWhiteSpace(MessagingServiceSid))
            yield return new ValidationResult("Set exactly one of Twilio:From (an E.164 number) and Twilio:MessagingServiceSid.", [nameof(From)]);
    }
}
