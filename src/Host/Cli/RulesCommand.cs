using System.Globalization;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Dispatch.Email;
using NpsTriggers.Dispatch.Messages;
using NpsTriggers.Triggers.Events;
using NpsTriggers.Triggers.Intake;

namespace NpsTriggers.Host.Cli;

/// <summary>
/// Ops tools for the rules file, run as <c>NpsTriggers.Host rules …</c>:
/// <c>validate FILE</c>, <c>simulate --rules FILE --event EVENT.json [--now TIME]</c>,
/// <c>preview --rules FILE --event EVENT.json</c>. They use the same code as the service.
/// </summary>
public static class RulesCommand
{
    private const string Usage = """
        usage:
          rules validate FILE
          rules simulate --rules FILE --event EVENT.json [--now 2026-11-02T08:00:00Z] [--history HISTORY.json]
          rules preview  --rules FILE --event EVENT.json [--channel email|sms] [--locale de]
        EVENT.json is a CloudEvent in structured mode (docs/EVENTS.md).
        HISTORY.json lists the person's earlier surveys: [{"survey": "delivery", "contactedAt": "2026-10-01T09:00:00Z"}, …]
        """;

    public static int Run(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        try
        {
            return args switch
            {
                ["validate", var file] => Validate(file, output),
                ["simulate", .. var rest] => Simulate(Options(rest), output),
                ["preview", .. var rest] => Preview(Options(rest), output),
                _ => Fail(output, Usage),
            };
        }
        catch (RulesValidationException e)
        {
            output.WriteLine(e.Message);
            return 1;
        }
        catch (ArgumentException e)
        {
            return Fail(output, e.Message + Environment.NewLine + Usage);
        }
    }

    private static int Validate(string file, TextWriter output)
    {
        var rules = SendRulesLoader.Load(file);
        output.WriteLine($"{file}: valid — {rules.Rules.Count} rules, {rules.Surveys.Count} surveys");
        return 0;
    }

    private static int Simulate(Dictionary<string, string> options, TextWriter output)
    {
        var (rules, e, now) = Load(options);
        var planner = new InvitationPlanner(new FixedTime(now));
        output.WriteLine($"event {e.Type} {e.Source} {e.Id}, time {e.Time?.ToString("O", CultureInfo.InvariantCulture) ?? "(none)"}, simulated at {now:O}");
        var verdicts = planner.Decide(e, rules);
        if (verdicts.Count == 0 && rules.CancelledBy(e.Type).Count == 0)
            output.WriteLine("  no rule reacts to this event type: skipped");
        foreach (var verdict in verdicts)
        {
            // The service keeps an event a rule refuses as a dead letter, and /api/decisions says so in the same word.
            var outcome = verdict.Outcome == InvitationPlanner.RefusedOutcome ? $"{Core.Invitations.DecisionTexts.DeadLettered} (the whole event)" : verdict.Outcome;
            output.WriteLine($"  rule '{verdict.Rule.Name}' (line {verdict.Rule.Line}): {outcome}");
            output.WriteLine($"    {verdict.Detail}");
            if (verdict.Invitation is { } invitation && verdict.SendAt is { } sendAt)
            {
                var zone = TimeZoneInfo.FindSystemTimeZoneById(verdict.Zone!);
                var reminders = verdict.Rule.EffectiveReminders;
                var at = sendAt;
                for (var n = 1; n <= reminders.Count; n++)
                {
                    at = verdict.Rule.Window is { } window ? window.NextOpening(at + reminders.After, zone) : at + reminders.After;
                    output.WriteLine($"    reminder {n} if unanswered: {at.UtcDateTime:yyyy-MM-dd HH:mm}Z ({TimeZoneInfo.ConvertTime(at, zone):yyyy-MM-dd HH:mm} {zone.Id})");
                }
                output.WriteLine($"    links answerable until {(sendAt + verdict.Rule.Expiry).UtcDateTime:yyyy-MM-dd HH:mm}Z");
                if (History(options) is { } history)
                {
                    var throttled = Dispatch.Scheduling.ThrottleGate.Evaluate(invitation.Survey, history, rules, sendAt);
                    output.WriteLine(throttled is null
                        ? "    throttle: not throttled by the given history at the send time"
                        : $"    throttle at the send time: {throttled}");
                    continue;
                }
                output.WriteLine($"    throttle: checked at send time against this person's recent surveys (survey {rules.RecontactPeriod(invitation.Survey).TotalDays:0.##} d"
                    + string.Concat(rules.Throttle.Groups.Where(g => g.Surveys.Contains(invitation.Survey)).Select(g => $", group '{g.Name}' {g.Period.TotalDays:0.##} d"))
                    + $", global {rules.Throttle.Global.TotalDays:0.##} d; first violated in that order is reported)");
            }
        }
        foreach (var (rule, trigger) in rules.CancelledBy(e.Type))
        {
            var found = Condition.TryResolve(e.Data, "data." + trigger.Match, out var value);
            output.WriteLine(found
                ? $"  cancels rule '{rule.Name}': pending invitations with {trigger.Match} = {value} are cancelled, sent ones get no more reminders"
                : $"  would cancel rule '{rule.Name}', but the event has no data.{trigger.Match}");
        }
        return 0;
    }

    private static int Preview(Dictionary<string, string> options, TextWriter output)
    {
        var (rules, e, now) = Load(options);
        var time = new FixedTime(now);
        var verdict = new InvitationPlanner(time).Decide(e, rules).FirstOrDefault(v => v.Invitation is not null);
        if (verdict?.Invitation is not { } invitation)
        {
            output.WriteLine("no rule schedules a survey for this event, so there is nothing to preview (see: rules simulate)");
            return 1;
        }
        // The preview goes through the service's own message factory, as the invitation would with --channel and --locale.
        var channel = options.GetValueOrDefault("channel") is { } named ? (named == "sms" ? InvitationChannel.Sms : InvitationChannel.Email) : invitation.Channel;
        var previewed = invitation with { Channel = channel, Locale = options.GetValueOrDefault("locale") ?? invitation.Locale };
        var survey = rules.Surveys[invitation.Survey];
        if (channel == InvitationChannel.Sms)
        {
            var text = MessageFactory.Sms(previewed, survey, reminder: 0);
            var (segments, encoding) = Dispatch.Sms.SmsText.Segments(text);
            output.WriteLine($"rule '{invitation.Rule}', survey '{invitation.Survey}', sms to {invitation.Phone ?? "(no phone)"}");
            output.WriteLine($"{text.Length} characters, {encoding}, {segments} segment{(segments == 1 ? "" : "s")}");
            output.WriteLine();
            output.WriteLine(text);
            WriteSegmentsPerLanguage(previewed, survey, output);
            return 0;
        }
        if (string.IsNullOrEmpty(invitation.Email))
        {
            output.WriteLine("the recipient has no email address; try --channel sms");
            return 1;
        }
        var links = new SurveyLinks(Microsoft.Extensions.Options.Options.Create(new SurveyLinkOptions
        {
            PublicBaseUrl = "https://nps.example.com",
            SigningKey = Convert.ToBase64String(new byte[32]),
        }));
        var messages = new MessageFactory(new EmailComposer(Microsoft.Extensions.Options.Options.Create(new EmailOptions()), time), links);
        var message = messages.Email(previewed, survey, verdict.SendAt!.Value + invitation.ValidFor, reminder: 0);
        output.WriteLine($"rule '{invitation.Rule}', survey '{invitation.Survey}', email to {message.To}");
        output.WriteLine($"Subject: {message.Subject}");
        output.WriteLine();
        output.WriteLine(message.TextBody);
        return 0;
    }

    /// <summary>What the same SMS costs in each language the survey has: CJK or Arabic texts are UCS-2 (70, then 67 per part).</summary>
    private static void WriteSegmentsPerLanguage(Invitation invitation, SurveyDefinition survey, TextWriter output)
    {
        if (survey.Locales is not { Count: > 0 } locales)
            return;
        output.WriteLine();
        output.WriteLine("segments per language:");
        foreach (var locale in new string?[] { null }.Concat(locales.Keys.Order(StringComparer.Ordinal)))
        {
            var text = MessageFactory.Sms(invitation with { Locale = locale }, survey, reminder: 0);
            var (segments, encoding) = Dispatch.Sms.SmsText.Segments(text);
            output.WriteLine($"  {locale ?? "default",-8} {text.Length} characters, {encoding}, {segments} segment{(segments == 1 ? "" : "s")}");
        }
    }

    private static (SendRules Rules, Core.Events.BusinessEvent Event, DateTimeOffset Now) Load(Dictionary<string, string> options)
    {
        var rules = SendRulesLoader.Load(Required(options, "rules"));
        var eventPath = Required(options, "event");
        var read = CloudEventReader.Read(EventRecord.Structured(ReadFile(eventPath, "event")), 16 * 1024 * 1024);
        if (read.Event is not { } e)
            throw new ArgumentException($"{eventPath}: {read.Reason}");
        var now = TimeProvider.System.GetUtcNow();
        if (options.TryGetValue("now", out var text)
            && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out now))
            throw new ArgumentException($"--now '{text}' is not a date and time, e.g. 2026-11-02T08:00:00Z");
        return (rules, e, now);
    }

    /// <summary>A file named on the command line; one that cannot be read is a usage error that names it, not a crash.</summary>
    private static byte[] ReadFile(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{path}: cannot read the {what} file: {e.Message}", e);
        }
    }

    private sealed record Contact(string Survey, DateTimeOffset ContactedAt);

    private static List<(Guid, string, DateTimeOffset)>? History(Dictionary<string, string> options)
    {
        if (!options.TryGetValue("history", out var path))
            return null;
        List<Contact>? contacts;
        try
        {
            contacts = System.Text.Json.JsonSerializer.Deserialize<List<Contact>>(ReadFile(path, "history"),
                new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ArgumentException($"{path}: expected a JSON array of {{survey, contactedAt}}: {e.Message}", e);
        }
        if (contacts is null || contacts.Any(c => c is null || string.IsNullOrWhiteSpace(c.Survey)))
            throw new ArgumentException($"{path}: expected a JSON array of {{survey, contactedAt}}, each with its survey");
        return [.. contacts.OrderByDescending(c => c.ContactedAt).Select(c => (Guid.Empty, c.Survey, c.ContactedAt))];
    }

    private static Dictionary<string, string> Options(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            options[args[i][2..]] = args[++i];
        }
        return options;
    }

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");

    /// <summary>The simulated "now": the planner reads the clock only through TimeProvider.</summary>
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static int Fail(TextWriter output, string message)
    {
        output.WriteLine(message);
        return 2;
    }
}
