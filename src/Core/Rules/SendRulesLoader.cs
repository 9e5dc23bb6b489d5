using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NpsTriggers.Core.Rules;

/// <summary>
/// Reads a send-rules YAML file into <see cref="SendRules"/>, collecting every problem with its file, line and
/// column instead of stopping at the first. Unknown keys are errors, so a typo never silently disables a setting.
/// </summary>
public static class SendRulesLoader
{
    public const int CurrentVersion = 1;
    private static readonly TimeSpan DefaultExpiry = TimeSpan.FromDays(30);
    private static readonly string[] SurveyKeys = ["subject", "intro", "question", "low", "high", "why"];
    private static readonly string[] RuleKeys = ["name", "on", "survey", "delay", "channel", "keep", "expiry"];

    public static SendRules Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new RulesValidationException([$"{path}: the send-rules file does not exist"]);
        return Parse(File.ReadAllText(path), path);
    }

    public static SendRules Parse(string yaml, string fileName)
    {
        var errors = new List<string>();
        void Error(YamlNode? node, string message) =>
            errors.Add(node is null ? $"{fileName}: {message}" : $"{fileName}:{node.Start.Line}:{node.Start.Column}: {message}");

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new RulesValidationException([$"{fileName}:{e.Start.Line}:{e.Start.Column}: {e.Message}"]);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new RulesValidationException([$"{fileName}: expected a mapping with 'version', 'surveys' and 'rules'"]);

        CheckKeys(root, ["version", "surveys", "rules"], "the file", Error);
        var version = Scalar(root, "version", Error, required: true);
        if (version is not null && version.Value != CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            Error(version, $"version {version.Value} is not supported (this service reads version {CurrentVersion})");

        var surveys = new Dictionary<string, SurveyDefinition>(StringComparer.Ordinal);
        var surveyNodes = new Dictionary<string, YamlMappingNode>(StringComparer.Ordinal);
        if (Child(root, "surveys") is YamlMappingNode surveysNode)
        {
            foreach (var (keyNode, valueNode) in surveysNode.Children)
            {
                var name = ((YamlScalarNode)keyNode).Value ?? "";
                if (valueNode is not YamlMappingNode survey)
                {
                    Error(valueNode, $"survey '{name}' must be a mapping of {string.Join(", ", SurveyKeys)}");
                    continue;
                }
                CheckKeys(survey, SurveyKeys, $"survey '{name}'", Error);
                TextTemplate Text(string key, string? fallback)
                {
                    var node = Scalar(survey, key, Error, required: fallback is null);
                    var template = TextTemplate.TryParse(node?.Value ?? fallback ?? "", out var error);
                    if (template is null)
                        Error(node, $"survey '{name}' {key}: {error}");
                    return template ?? TextTemplate.TryParse("", out _)!;
                }
                surveys[name] = new SurveyDefinition(name, Text("subject", null), Text("intro", ""), Text("question", null),
                    Text("low", "Not at all likely"), Text("high", "Extremely likely"), Text("why", "What is the main reason for your score?"));
                surveyNodes[name] = survey;
            }
        }
        else
            Error(Child(root, "surveys") ?? root, "'surveys' must be a mapping of survey name to its texts");

        var rules = new List<SendRule>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (Child(root, "rules") is YamlSequenceNode rulesNode)
        {
            foreach (var item in rulesNode.Children)
            {
                if (item is not YamlMappingNode rule)
                {
                    Error(item, "each rule must be a mapping");
                    continue;
                }
                CheckKeys(rule, RuleKeys, "a rule", Error);
                var name = Scalar(rule, "name", Error, required: true)?.Value ?? "";
                if (name.Length > 0 && !names.Add(name))
                    Error(rule, $"rule name '{name}' is used twice; names key the invitations and must be unique");
                var on = Strings(rule, "on", Error, required: true);
                if (on.Count == 0)
                    Error(rule, $"rule '{name}': 'on' names no event type");
                var surveyNode = Scalar(rule, "survey", Error, required: true);
                var survey = surveyNode?.Value ?? "";
                if (surveyNode is not null && !surveys.ContainsKey(survey))
                    Error(surveyNode, $"rule '{name}': survey '{survey}' is not defined under 'surveys'");
                var delay = DurationOf(rule, "delay", TimeSpan.Zero, Error);
                var expiry = DurationOf(rule, "expiry", DefaultExpiry, Error);
                if (expiry <= TimeSpan.Zero)
                    Error(Child(rule, "expiry"), $"rule '{name}': expiry must be positive");
                var channelNode = Scalar(rule, "channel", Error, required: false);
                var channel = SurveyChannel.Email;
                if (channelNode is not null && channelNode.Value != "email")
                    Error(channelNode, $"rule '{name}': channel '{channelNode.Value}' is not supported yet (supported: email)");
                var keep = Strings(rule, "keep", Error, required: false);
                if (surveys.TryGetValue(survey, out var definition))
                {
                    foreach (var path in new[] { definition.Subject, definition.Intro, definition.Question, definition.LowLabel, definition.HighLabel, definition.Why }
                                 .SelectMany(t => t.Paths).Where(p => p.StartsWith("data.", StringComparison.Ordinal)).Distinct())
                    {
                        if (!keep.Contains(path[5..]))
                            Error(surveyNodes[survey], $"survey '{survey}' uses '{path}', which rule '{name}' does not keep; add '{path[5..]}' to its 'keep' list");
                    }
                }
                rules.Add(new SendRule(name, on, survey, delay, channel, keep, expiry));
            }
        }
        else
            Error(Child(root, "rules") ?? root, "'rules' must be a list of rules");

        if (errors.Count > 0)
            throw new RulesValidationException(errors);
        return new SendRules(CurrentVersion, surveys, rules);
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static void CheckKeys(YamlMappingNode map, string[] allowed, string where, Action<YamlNode?, string> error)
    {
        foreach (var key in map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value;
            if (name is null || !allowed.Contains(name))
                error(key, $"unknown key '{name}' in {where} (allowed: {string.Join(", ", allowed)})");
        }
    }

    private static YamlScalarNode? Scalar(YamlMappingNode map, string key, Action<YamlNode?, string> error, bool required)
    {
        var node = Child(map, key);
        if (node is null)
        {
            if (required)
                error(map, $"'{key}' is required");
            return null;
        }
        if (node is YamlScalarNode scalar && !string.IsNullOrWhiteSpace(scalar.Value))
            return scalar;
        error(node, $"'{key}' must be a non-empty value");
        return null;
    }

    private static List<string> Strings(YamlMappingNode map, string key, Action<YamlNode?, string> error, bool required)
    {
        var node = Child(map, key);
        switch (node)
        {
            case null:
                if (required)
                    error(map, $"'{key}' is required");
                return [];
            case YamlScalarNode { Value: { Length: > 0 } one }:
                return [one];
            case YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode { Value.Length: > 0 }):
                return list.Children.Select(c => ((YamlScalarNode)c).Value!).ToList();
            default:
                error(node, $"'{key}' must be a value or a list of values");
                return [];
        }
    }

    private static TimeSpan DurationOf(YamlMappingNode map, string key, TimeSpan fallback, Action<YamlNode?, string> error)
    {
        var node = Scalar(map, key, error, required: false);
        if (node is null)
            return fallback;
        if (Duration.TryParse(node.Value!, out var value))
            return value;
        error(node, $"'{key}: {node.Value}' is not a duration (use 14d, 1h30m, 90s or ISO 8601 like PT1H)");
        return fallback;
    }
}
