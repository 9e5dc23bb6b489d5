using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Sms;

namespace NpsTriggers.Core.Invitations;

/// <summary>
/// Whether a first survey email that failed for good goes out again by SMS: its rule is <c>email-then-sms</c>, the
/// person has a phone number and SMS is configured. Decided the same way when the relay refuses at once (dispatch's
/// <c>EmailChannel</c>) and when it bounces later (ingest's bounce reader).
/// </summary>
public static class SmsFallback
{
    public static bool Applies(SendRules rules, TwilioOptions twilio, string rule, string? phone)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(twilio);
        return !string.IsNullOrEmpty(phone) && twilio.Enabled
               && rules.Rules.FirstOrDefault(r => r.Name == rule)?.Channel == SurveyChannel.EmailThenSms;
    }
}
