using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace NpsTriggers.Core.Rules;

/// <summary>Reads one entry of <c>rules:</c>.</summary>
internal static class RuleReader
{
    private static readonly string[] RuleKeys =
        ["name", "on", "every", "when", "survey", "delay", "delayFrom", "window", "channel", "keep", "expiry", "sample", "cancelOn", "cancelHorizon", "reminders"];

    // A relational rule has no triggering event, so nothing event-specific applies to it.
    private static readonly string[] EventOnlyKeys = ["when", "delay", "delayFrom", "cancelOn", "cancelHorizon", "keep"];

    private static readonly Dictionary<string, DayOfWeek> DayNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Mon"] = DayOfWeek.Monday, ["Tue"] = DayOfWeek.Tuesday, ["Wed"] = DayOfWeek.Wednesday, ["Thu"] = DayOfWeek.Thursday,
        ["Fri"] = DayOfWeek.Friday, ["Sat"] = DayOfWeek.Saturday, ["Sun"] = DayOfWeek.Sunday,
    };

    public static SendRule? Read(YamlMappingNode rule, YamlNodes nodes, IReadOnlyDictionary<string, SurveyDefinition> surveys,
        IReadOnlyDictionary<string, YamlMappingNode> surveyNodes, TimeSpan defaultExpiry)
    {
        var name = nodes.Scalar(rule, "name", required: true)?.Value;
        if (name is null)
            return null;
        nodes.CheckKeys(rule, RuleKeys, $"rule '{name}'", name);
        var every = nodes.Duration(rule, "every", name);
        var on = nodes.Strings(rule, "on", required: every is null && YamlNodes.Child(rule, "every") is null, name);
        if (YamlNodes.Child(rule, "every") is { } everyNode)
        {
            if (on.Count > 0)
                nodes.Error(everyNode, "a rule either reacts to events ('on') or surveys everyone periodically ('every'), not both", name, "every");
            if (every is { } period && period < TimeSpan.FromDays(1))
                nodes.Error(everyNode, "must be at least 1d", name, "every");
            foreach (var key in EventOnlyKeys.Where(k => YamlNodes.Child(rule, k) is not null))
                nodes.Error(YamlNodes.Child(rule, key), "does not apply to a relational rule ('every'), which has no triggering event", name, key);
        }
        var surveyNode = nodes.Scalar(rule, "survey", required: true, name);
        var survey = surveyNode?.Value ?? "";
        if (surveyNode is not null && !surveys.ContainsKey(survey))
            nodes.Error(surveyNode, $"survey '{survey}' is not defined under 'surveys'", name, "survey");
        var delay = nodes.Duration(rule, "delay", name) ?? TimeSpan.Zero;
        var expiry = nodes.Duration(rule, "expiry", name) ?? defaultExpiry;
        if (expiry <= TimeSpan.Zero)
            nodes.Error(YamlNodes.Child(rule, "expiry"), "must be positive", name, "expiry");

        var delayFrom = nodes.Scalar(rule, "delayFrom", required: false, name);
        if (delayFrom is not null && !delayFrom.Value!.StartsWith("data.", StringComparison.Ordinal))
            nodes.Error(delayFrom, $"'{delayFrom.Value}' must name a timestamp field of the data, like data.deliveredAt", name, "delayFrom");

        var channelNode = nodes.Scalar(rule, "channel", required: false, name);
        var channel = channelNode?.Value switch
        {
            null or "email" => SurveyChannel.Email,
            "sms" => SurveyChannel.Sms,
            "preferred" => SurveyChannel.Preferred,
            "email-then-sms" => SurveyChannel.EmailThenSms,
            _ => (SurveyChannel?)null,
        };
        if (channel is null)
            nodes.Error(channelNode, $"'{channelNode!.Value}' is not a channel (supported: email, sms, preferred, email-then-sms)", name, "channel");

        var keep = nodes.Strings(rule, "keep", required: false, name);
        if (surveys.TryGetValue(survey, out var definition))
        {
            // Every variable a text reads, wherever it sits (if, for, filter arguments), must be a kept field: nothing else
            // is stored on the invitation, so anything else would render empty in every message. Reported once per
            // field, at its first mention.
            var reported = new HashSet<string>(StringComparer.Ordinal);
            foreach (var template in definition.AllTemplates)
            {
                foreach (var path in template.Paths.Where(p => p.StartsWith("data.", StringComparison.Ordinal) && !keep.Contains(p[5..])))
                {
                    if (!reported.Add(path))
                        continue;
                    var message = $"rule '{name}' field 'keep': survey '{survey}' uses '{path}', which this rule does not keep; add '{path[5..]}' to 'keep'";
                    if (nodes.TextNodes.TryGetValue(template, out var textNode))
                        nodes.TextError(textNode, template.PositionOf(path).Line, template.PositionOf(path).Column, message);
                    else
                        nodes.Error(surveyNodes[survey], $"survey '{survey}' uses '{path}', which this rule does not keep; add '{path[5..]}' to 'keep'", name, "keep");
                }
            }
        }

        var when = YamlNodes.Child(rule, "when") is { } whenNode ? ConditionReader.Read(whenNode, nodes, name) : null;
        var (window, zone) = ReadWindow(rule, nodes, name);
        var sample = ReadSample(rule, nodes, name);
        var cancels = ReadCancels(rule, nodes, name);
        var horizon = nodes.Duration(rule, "cancelHorizon", name);
        if (YamlNodes.Child(rule, "cancelHorizon") is { } horizonNode)
        {
            if (cancels is not { Count: > 0 })
                nodes.Error(horizonNode, "applies only with 'cancelOn'", name, "cancelHorizon");
            else if (horizon is { } h && h < TimeSpan.FromHours(1))
                nodes.Error(horizonNode, "must be at least 1h", name, "cancelHorizon");
        }
        var reminders = ReadReminders(rule, nodes, name);
        return new SendRule(name, on, survey, delay, channel ?? SurveyChannel.Email, keep, expiry, when, delayFrom?.Value, window, zone, sample,
            cancels, reminders, (int)rule.Start.Line, every, horizon);
    }

    private static (SendWindow?, string?) ReadWindow(YamlMappingNode rule, YamlNodes nodes, string name)
    {
        if (YamlNodes.Child(rule, "window") is not { } node)
            return (null, null);
        if (node is not YamlMappingNode window)
        {
            nodes.Error(node, "must be a mapping of days, from, to and timeZone", name, "window");
            return (null, null);
        }
        nodes.CheckKeys(window, ["days", "from", "to", "timeZone"], "window", name);
        var days = new HashSet<DayOfWeek>();
        foreach (var text in nodes.Strings(window, "days", required: false, name))
        {
            var range = text.Split('-', StringSplitOptions.TrimEntries);
            if (range.Length == 2 && DayNames.TryGetValue(range[0], out var first) && DayNames.TryGetValue(range[1], out var last))
            {
                for (var d = first; ; d = (DayOfWeek)(((int)d + 1) % 7))
                {
                    days.Add(d);
                    if (d == last)
                        break;
                }
            }
            else if (DayNames.TryGetValue(text, out var day))
                days.Add(day);
            else
                nodes.Error(YamlNodes.Child(window, "days"), $"'{text}' is not a day (Mon … Sun) or a range (Mon-Thu)", name, "window.days");
        }
        if (YamlNodes.Child(window, "days") is null)
            days.UnionWith(Enum.GetValues<DayOfWeek>());
        var from = Time(window, "from", TimeOnly.MinValue, nodes, name);
        var to = Time(window, "to", TimeOnly.MaxValue, nodes, name);
        if (from >= to)
            nodes.Error(window, $"'from' ({from:HH\\:mm}) must be before 'to'", name, "window");
        var zone = nodes.Scalar(window, "timeZone", required: false, name);
        if (zone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zone.Value!, out _))
            nodes.Error(zone, $"'{zone.Value}' is not a known IANA time zone", name, "window.timeZone");
        return (new SendWindow(days, from, to), zone?.Value);
    }

    private static TimeOnly Time(YamlMappingNode window, string key, TimeOnly fallback, YamlNodes nodes, string name)
    {
        var node = nodes.Scalar(window, key, required: false, name);
        if (node is null)
            return fallback;
        if (key == "to" && node.Value is "24:00")
            return TimeOnly.MaxValue;
        if (TimeOnly.TryParseExact(node.Value, ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            return time;
        nodes.Error(node, $"'{node.Value}' is not a time of day (HH:mm)", name, $"window.{key}");
        return fallback;
    }

    private static decimal? ReadSample(YamlMappingNode rule, YamlNodes nodes, string name)
    {
        var node = nodes.Scalar(rule, "sample", required: false, name);
        if (node is null)
            return null;
        var text = node.Value!.Trim().TrimEnd('%').Trim();
        if (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var percent) && percent is > 0 and <= 100)
            return percent;
        nodes.Error(node, $"'{node.Value}' is not a percentage above 0 and at most 100 (e.g. 25%)", name, "sample");
        return null;
    }

    private static List<CancelTrigger>? ReadCancels(YamlMappingNode rule, YamlNodes nodes, string name)
    {
        if (YamlNodes.Child(rule, "cancelOn") is not { } node)
            return null;
        if (node is not YamlSequenceNode list)
        {
            nodes.Error(node, "must be a list of { on: <event type>, match: <data field> }", name, "cancelOn");
            return null;
        }
        var cancels = new List<CancelTrigger>();
        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode entry)
            {
                nodes.Error(item, "each entry is { on: <event type>, match: <data field> }", name, "cancelOn");
                continue;
            }
            nodes.CheckKeys(entry, ["on", "match"], "cancelOn", name);
            var type = nodes.Scalar(entry, "on", required: true, name)?.Value;
            var match = nodes.Scalar(entry, "match", required: true, name);
            if (match is not null && match.Value!.Contains('.', StringComparison.Ordinal))
                nodes.Error(match, $"'{match.Value}' must be a top-level field of the data, like orderId", name, "cancelOn.match");
            if (type is not null && match is not null)
                cancels.Add(new CancelTrigger(type, match.Value!));
        }
        // One correlation value is stored per invitation, so a rule correlates all its cancel events on one field.
        if (cancels.Select(c => c.Match).Distinct().Count() > 1)
            nodes.Error(node, $"all entries must match on the same field (found {string.Join(", ", cancels.Select(c => c.Match).Distinct())})", name, "cancelOn");
        return cancels;
    }

    private static ReminderPolicy? ReadReminders(YamlMappingNode rule, YamlNodes nodes, string name)
    {
        if (YamlNodes.Child(rule, "reminders") is not { } node)
            return null;
        if (node is not YamlMappingNode map)
        {
            nodes.Error(node, "must be a mapping of count and after", name, "reminders");
            return null;
        }
        nodes.CheckKeys(map, ["count", "after"], "reminders", name);
        var count = nodes.Integer(map, "count", 0, 5, name) ?? ReminderPolicy.Default.Count;
        var after = nodes.Duration(map, "after", name) ?? ReminderPolicy.Default.After;
        if (after < TimeSpan.FromHours(1))
            nodes.Error(map, "'after' must be at least 1h", name, "reminders");
        return new ReminderPolicy(count, after);
    }
}
