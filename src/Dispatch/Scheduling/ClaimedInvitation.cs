using System.Text.Json;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>An invitation a send job holds a claim on, re-read from the database when the job runs.</summary>
public sealed record ClaimedInvitation(
    Guid Id,
    string EventSource,
    string EventId,
    string EventType,
    string Rule,
    string Survey,
    string Channel,
    string? CustomerId,
    string? Email,
    string? Phone,
    string? Name,
    string? Locale,
    string? TimeZone,
    JsonElement Attributes,
    TimeSpan ValidFor,
    int Attempts,
    string? SuppressionEntry,
    int RemindersLeft,
    int RemindersSent,
    TimeSpan? ReminderAfter,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>The token of the job run holding this invitation; every transition is guarded by it.</summary>
    public Guid Run { get; init; }

    /// <summary>The trace context its last step left (the consume span), so the send continues the event's trace.</summary>
    public string? TraceParent { get; init; }

    /// <summary>
    /// The message id the provider reported (Twilio's status callback) for an earlier run's send that was never
    /// confirmed: the provider has the message, so this run records it as sent instead of sending again.
    /// </summary>
    public string? AcceptedMessageId { get; init; }

    /// <summary>
    /// A cancelling event remembered for this invitation's rule and correlation (<c>"order.returned /shop evt-9"</c>) that
    /// its intake did not see, because the two were committed at the same time: nothing is sent, and no reminder.
    /// </summary>
    public string? RememberedCancel { get; init; }

    /// <summary>Whether the address is on the suppression list (<see cref="SuppressionEntry"/> says why and since when).</summary>
    public bool Suppressed => SuppressionEntry is not null;

    /// <summary>Resolves a template path (<c>recipient.name</c>, <c>data.orderId</c>) against this invitation.</summary>
    public string? Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path switch
        {
            "recipient.name" => Name,
            "recipient.email" => Email,
            "recipient.phone" => Phone,
            "recipient.customerId" => CustomerId,
            "recipient.locale" => Locale,
            "recipient.timeZone" => TimeZone,
            _ when path.StartsWith("data.", StringComparison.Ordinal)
                   && Attributes.ValueKind == JsonValueKind.Object
                   && Attributes.TryGetProperty(path[5..], out var value) =>
                value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText(),
            _ => null,
        };
    }
}
