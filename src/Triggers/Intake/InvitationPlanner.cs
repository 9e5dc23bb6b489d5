using NpsTriggers.Core.Invitations;
using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NpsTriggers.Core.Events;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Storage;

namespace NpsTriggers.Triggers.Intake;

/// <summary>
/// Applies the send rules to one event: for every rule the event's type fires, either an invitation (due time
/// moved into the send window) or a recorded reason it was not made; for every rule the type cancels, a cancel.
/// Pure apart from the clock, so <c>rules simulate</c> explains an event exactly as intake would treat it.
/// </summary>
public sealed class InvitationPlanner(TimeProvider time)
{
    /// <summary>What happened to the event as a whole.</summary>
    /// <param name="Refused">
    /// Why the event cannot be planned at all (a send time past year 9999, a value PostgreSQL cannot store): it is to be
    /// dead-lettered with this reason, and nothing of it was added to the batch.
    /// </param>
    public readonly record struct Plan(int Invitations, int Cancels, bool Relevant, string? Refused = null);

    /// <summary>The outcome of a verdict that refuses the whole event (see <see cref="Plan.Refused"/>).</summary>
    public const string RefusedOutcome = "refused";

    /// <summary>
    /// The longest correlation value (the <c>cancelOn</c> match field) accepted, in UTF-8 bytes: it is an index key, and
    /// a PostgreSQL B-tree entry holds at most 2704 bytes.
    /// </summary>
    public const int MaxCorrelationBytes = 512;

    // A send time is moved into its window by at most a week and a day; keep that much room below DateTimeOffset's end.
    private static readonly DateTimeOffset LatestDue = DateTimeOffset.MaxValue - TimeSpan.FromDays(31);

    /// <summary>One rule's verdict, for the decision log and for <c>rules simulate</c>.</summary>
    public sealed record Verdict(SendRule Rule, string Outcome, string Detail, Invitation? Invitation, DateTimeOffset? SendAt, string? Zone);

    public Plan Add(BusinessEvent e, SendRules rules, IntakeBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var verdicts = Decide(e, rules);
        var cancels = Cancels(e, rules);
        if (verdicts.FirstOrDefault(v => v.Outcome == RefusedOutcome) is { } refused)
            return new Plan(0, 0, true, $"rule '{refused.Rule.Name}': {refused.Detail}");
        if (cancels.FirstOrDefault(c => Encoding.UTF8.GetByteCount(c.Value) > MaxCorrelationBytes) is { } oversized)
            return new Plan(0, 0, true, $"rule '{oversized.Rule}' cancels on data.{rules.Rules.First(r => r.Name == oversized.Rule).Cancels[0].Match}, whose value is {Encoding.UTF8.GetByteCount(oversized.Value)} bytes long, over the {MaxCorrelationBytes}-byte limit");
        foreach (var verdict in verdicts)
        {
            if (verdict.Invitation is { } invitation)
                batch.Invitations.Add(invitation);
            batch.Decisions.Add(new DecisionRow(e.Source, e.Id, e.Type, verdict.Rule.Name, e.Recipient.CustomerId, e.Recipient.Email,
                verdict.Invitation?.Id, verdict.Outcome, verdict.Detail, e.Recipient.Phone));
        }
        batch.Cancels.AddRange(cancels);
        return new Plan(verdicts.Count(v => v.Invitation is not null), cancels.Count, rules.Knows(e.Type));
    }

    public IReadOnlyList<Verdict> Decide(BusinessEvent e, SendRules rules)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(rules);
        var fired = rules.For(e.Type);
        var verdicts = new List<Verdict>(fired.Count);
        var now = time.GetUtcNow();
        string? surveyedBy = null;
        foreach (var rule in fired)
        {
            if (rule.When?.Evaluate(e.Data) is { Matched: false } failed)
            {
                verdicts.Add(new Verdict(rule, "not_matched", failed.Why!, null, null, null));
                continue;
            }
            var (channel, channelWhy) = Channel(rule.Channel, e);
            if (channel is null)
            {
                verdicts.Add(new Verdict(rule, "no_contact", channelWhy, null, null, null));
                continue;
            }
            var person = Sampling.PersonKey(e.Recipient.CustomerId, e.Recipient.Email, e.Recipient.Phone)!;
            if (rule.SamplePercent is { } percent && !Sampling.InSample(rule.Survey, person, percent))
            {
                verdicts.Add(new Verdict(rule, "sampled_out",
                    $"bucket {Sampling.Bucket(rule.Survey, person)} of 10000 is outside the {percent.ToString(CultureInfo.InvariantCulture)}% sample for survey '{rule.Survey}'",
                    null, null, null));
                continue;
            }
            if (surveyedBy is not null)
            {
                // Several rules can fire for one event; one person gets one survey from it, by file order.
                verdicts.Add(new Verdict(rule, "throttled", $"rule '{surveyedBy}' already surveys this person for the same event", null, null, null));
                continue;
            }
            var (start, startNote) = DelayStart(e, rule, now);
            if (start > LatestDue - rule.Delay)
            {
                verdicts.Add(new Verdict(rule, RefusedOutcome,
                    $"the send time overflows: {startNote} {start.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss}Z + {Duration.Format(rule.Delay)} lies past the year 9999",
                    null, null, null));
                continue;
            }
            var zoneId = e.Recipient.TimeZone ?? rule.TimeZone ?? "UTC";
            var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
            var due = start + rule.Delay;
            var sendAt = rule.Window is { } window ? window.NextOpening(due, zone) : due;
            var correlation = rule.Cancels.Count > 0 && Condition.TryResolve(e.Data, "data." + rule.Cancels[0].Match, out var key)
                ? Text(key) : null;
            if (correlation is not null && Encoding.UTF8.GetByteCount(correlation) > MaxCorrelationBytes)
            {
                verdicts.Add(new Verdict(rule, RefusedOutcome,
                    $"data.{rule.Cancels[0].Match} (the cancelOn match) is {Encoding.UTF8.GetByteCount(correlation)} bytes long, over the {MaxCorrelationBytes}-byte limit",
                    null, null, null));
                continue;
            }
            if (KeptProblem(e.Data, rule.Keep) is { } unstorable)
            {
                verdicts.Add(new Verdict(rule, RefusedOutcome, $"kept field {unstorable.Path} {unstorable.Problem}", null, null, null));
                continue;
            }
            var reminders = rule.EffectiveReminders;
            var invitation = new Invitation(Guid.CreateVersion7(now), e.Source, e.Id, e.Type, rule.Name, rule.Survey,
                channel.Value, e.Recipient.CustomerId, e.Recipient.Email, e.Recipient.Phone,
                e.Recipient.Name, e.Recipient.Locale, e.Recipient.TimeZone, KeptAttributes(e.Data, rule.Keep), rule.Expiry)
            {
                DueAt = sendAt,
                Correlation = correlation,
                Reminders = reminders.Count,
                ReminderAfter = reminders.Count > 0 ? reminders.After : null,
            };
            var local = TimeZoneInfo.ConvertTime(sendAt, zone);
            var detail = $"{channel.Value.Column()}{(channelWhy.Length > 0 ? $" ({channelWhy})" : "")}: send at {sendAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z ({local:yyyy-MM-dd HH:mm} {zoneId}); due {due.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z = {startNote} + {Duration.Format(rule.Delay)}"
                + (sendAt != due ? $", moved into window {rule.Window}" : "");
            verdicts.Add(new Verdict(rule, "scheduled", detail, invitation, sendAt, zoneId));
            surveyedBy = rule.Name;
        }
        return verdicts;
    }

    /// <summary>The concrete channel for this recipient, or null and why not.</summary>
    private static (InvitationChannel? Channel, string Why) Channel(SurveyChannel mode, BusinessEvent e)
    {
        var preferred = mode == SurveyChannel.Preferred
            && Condition.TryResolve(e.Data, "recipient.preferredChannel", out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String
            ? value.GetString() : null;
        return ChannelChoice.For(mode, !string.IsNullOrEmpty(e.Recipient.Email), !string.IsNullOrEmpty(e.Recipient.Phone), preferred, "data.recipient");
    }

    private static List<CancelRow> Cancels(BusinessEvent e, SendRules rules)
    {
        var cancels = new List<CancelRow>();
        foreach (var (rule, trigger) in rules.CancelledBy(e.Type))
            if (Condition.TryResolve(e.Data, "data." + trigger.Match, out var value))
                cancels.Add(new CancelRow(rule.Name, Text(value), e.Type, e.Source, e.Id, e.Recipient.CustomerId, e.Recipient.Email,
                    rule.EffectiveCancelHorizon));
        return cancels;
    }

    private static (DateTimeOffset Start, string Note) DelayStart(BusinessEvent e, SendRule rule, DateTimeOffset now)
    {
        if (rule.DelayFrom is { } path)
        {
            // The same RFC 3339 reading as the event's time, normalised to UTC. The note shows the text as sent and the
            // instant read from it, so an ops team sees what an offset did (docs/RULES.md, "delayFrom").
            string problem;
            if (!Condition.TryResolve(e.Data, path, out var value) || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
                problem = $"{path} is missing";
            else if (value.ValueKind != JsonValueKind.String)
                problem = $"{path} ({Shorten(value.GetRawText())}) is not a timestamp: {Kind(value.ValueKind)}, not an RFC 3339 text";
            else if (!Rfc3339.TryParse(value.GetString(), out var at, out var error))
                problem = $"{path} (\"{Shorten(value.GetString()!)}\") is not a timestamp: {error}";
            else
            {
                var read = $"{path} (\"{value.GetString()}\" = {at.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z";
                // A time ahead of the clock is honoured, not clamped: it may be an appointment the survey follows. Said
                // plainly, because it may just as well be a producer's clock or time zone gone wrong.
                return at > now
                    ? (at, $"{read}, in the future: {Duration.Format(TimeSpan.FromMinutes(Math.Ceiling((at - now).TotalMinutes)))} after receipt)")
                    : (at, read + ")");
            }
            // A missing or unreadable field should not lose the survey: count from the event instead, and say why.
            return e.Time is { } t
                ? (t, $"event time {t.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z ({problem})")
                : (now, $"receipt time {now.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z ({problem})");
        }
        // The delay counts from when the business fact happened (ce_time), not from when we read it.
        return e.Time is { } time ? (time, "event time") : (now, "receipt time");
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    /// <summary>A value quoted in a decision, cut to a readable length.</summary>
    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>The first kept value <c>jsonb</c> cannot hold (its path and why), or null.</summary>
    private static (string Path, string Problem)? KeptProblem(JsonElement data, IReadOnlyList<string> keep)
    {
        if (data.ValueKind != JsonValueKind.Object)
            return null;
        foreach (var field in keep)
        {
            if (!data.TryGetProperty(field, out var value))
                continue;
            // Strings were checked by the reader; a number that fits a decimal fits jsonb. Only the rest needs a look.
            var plain = value.ValueKind switch
            {
                JsonValueKind.String or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => true,
                JsonValueKind.Number => value.TryGetDecimal(out _),
                _ => false,
            };
            if (!plain && StorableText.FindIn(value, "data." + field, asJsonb: true) is { } problem)
                return problem;
        }
        return null;
    }

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

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
