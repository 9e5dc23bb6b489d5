using System.Buffers;
using System.Text;
using System.Text.Json;
using NpsTriggers.Core.Events;
using NpsTriggers.Core.Rules;

namespace NpsTriggers.Triggers.Intake;

/// <summary>Turns a parsed event into the invitations its rules ask for, or a reason it cannot be used.</summary>
public sealed class InvitationPlanner(TimeProvider time)
{
    /// <summary>The outcome for one event: no rule fired (skipped), rows to insert, or a dead-letter reason.</summary>
    public readonly record struct Plan(int Invitations, string? DeadLetterReason)
    {
        public bool Skipped => Invitations == 0 && DeadLetterReason is null;
    }

    public Plan Add(BusinessEvent e, SendRules rules, IntakeBatch batch)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(batch);
        var fired = rules.For(e.Type);
        if (fired.Count == 0)
            return new Plan(0, null);
        foreach (var rule in fired)
        {
            if (rule.Channel == SurveyChannel.Email && string.IsNullOrEmpty(e.Recipient.Email))
                return new Plan(0, $"rule '{rule.Name}' sends by email but data.recipient has no email address");
        }
        var now = time.GetUtcNow();
        // The delay counts from when the business fact happened (ce_time), not from when we read it,
        // so a consumer that lags does not push every send later.
        var start = e.Time ?? now;
        foreach (var rule in fired)
        {
            batch.Invitations.Add(new InvitationRow(
                Guid.CreateVersion7(now),
                e.Source,
                e.Id,
                e.Type,
                rule.Name,
                rule.Survey,
                rule.Channel == SurveyChannel.Email ? "email" : "sms",
                e.Recipient.CustomerId,
                e.Recipient.Email,
                e.Recipient.Phone,
                e.Recipient.Name,
                e.Recipient.Locale,
                e.Recipient.TimeZone,
                KeptAttributes(e.Data, rule.Keep),
                start + rule.Delay,
                rule.Expiry));
        }
        return new Plan(fired.Count, null);
    }

    /// <summary>The kept fields of <c>data</c> as a JSON object; fields the event lacks are left out.</summary>
    public static string KeptAttributes(JsonElement data, IReadOnlyList<string> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        if (keep.Count == 0 || data.ValueKind != JsonValueKind.Object)
            return "{}";
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var field in keep)
            {
                if (data.TryGetProperty(field, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
                {
                    writer.WritePropertyName(field);
                    value.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
