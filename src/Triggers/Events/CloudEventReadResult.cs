using NpsTriggers.Core.Events;

namespace NpsTriggers.Triggers.Events;

/// <summary>Either an event or the reason the record is dead-lettered.</summary>
public readonly record struct CloudEventReadResult(BusinessEvent? Event, string? Reason)
{
    public static CloudEventReadResult Ok(BusinessEvent e) => new(e, null);
    public static CloudEventReadResult Fail(string reason) => new(null, reason);
}
