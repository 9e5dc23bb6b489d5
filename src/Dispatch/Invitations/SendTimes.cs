using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;

namespace NpsTriggers.Dispatch.Invitations;

/// <summary>When a send or a reminder may go out: the rule's send window, in the recipient's zone.</summary>
internal static class SendTimes
{
    /// <summary>The rule that created <paramref name="invitation"/>, if the send rules still define it.</summary>
    public static SendRule? RuleFor(this SendRules rules, Invitation invitation) =>
        rules.Rules.FirstOrDefault(r => r.Name == invitation.Rule);

    /// <summary><paramref name="at"/>, or the next opening of the rule's send window after it.</summary>
    public static DateTimeOffset NextOpening(DateTimeOffset at, SendRule? rule, Invitation invitation)
    {
        if (rule?.Window is not { } window)
            return at;
        return window.NextOpening(at, Zone(rule, invitation));
    }

    /// <summary>The recipient's zone for the rule's window: the event's, else the rule's, else UTC.</summary>
    public static TimeZoneInfo Zone(SendRule? rule, Invitation invitation) =>
        TimeZoneInfo.FindSystemTimeZoneById(invitation.TimeZone ?? rule?.TimeZone ?? "UTC");

    /// <summary>When the next reminder goes out after a send or reminder at <paramref name="now"/>, if one is left (<paramref name="left"/> before this one counts).</summary>
    public static DateTimeOffset? NextReminder(DateTimeOffset now, int left, SendRule? rule, Invitation invitation, DateTimeOffset expiresAt)
    {
        DateTimeOffset? next = left > 0 && invitation.ReminderAfter is { } after ? NextOpening(now + after, rule, invitation) : null;
        return next is { } n && n < expiresAt ? n : null;
    }
}
