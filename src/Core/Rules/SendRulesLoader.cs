using System.Globalization;
using NpsTriggers.Core.Localization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NpsTriggers.Core.Rules;

/// <summary>
/// Reads a send-rules YAML file into <see cref="SendRules"/>, collecting every problem as
/// <c>file:line:column: rule 'name' field 'key': message</c> instead of stopping at the first. Unknown keys are
/// errors, so a typo never silently disables a setting. The format is documented in docs/RULES.md.
/// </summary>
public static class SendRulesLoader
{
    public const int CurrentVersion = 1;
    private static readonly TimeSpan DefaultExpiry = TimeSpan.FromDays(30);
    private static readonly string[] TopKeys = ["version", "throttle", "surveys", "rules"];
    private static readonly string[] SurveyKeys = ["subject", "intro", "question", "low", "high", "why", "sms", "recontact", "locales"];
    private static readonly string[] LocaleKeys = ["subject", "intro", "question", "low", "high", "why", "sms"];

    public static SendRules Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new RulesValidationException([$"{path}: the send-rules file does not exist"]);
        return Parse(File.ReadAllText(path), path);
    }

    public static SendRules Parse(string yaml, string fileName)
    {
        var nodes = new YamlNodes(fileName, yaml);
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

        nodes.CheckKeys(root, TopKeys, "the file");
        var version = nodes.Scalar(root, "version", required: true);
        if (version is not null && version.Value != CurrentVersion.ToString(CultureInfo.InvariantCulture))
            nodes.Error(version, $"version {version.Value} is not supported (this service reads version {CurrentVersion})");

        var throttle = ReadThrottle(root, nodes);
        var (surveys, surveyNodes) = ReadSurveys(root, nodes);
        var rules = new List<SendRule>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (YamlNodes.Child(root, "rules") is YamlSequenceNode rulesNode)
        {
            foreach (var item in rulesNode.Children)
            {
                if (item is not YamlMappingNode rule)
                {
                    nodes.Error(item, "each rule must be a mapping");
                    continue;
                }
                if (RuleReader.Read(rule, nodes, surveys, surveyNodes, DefaultExpiry) is { } read)
                {
                    if (!names.Add(read.Name))
                        nodes.Error(rule, "is used twice; rule names key the invitations and must be unique", read.Name, "name");
                    rules.Add(read);
                }
            }
        }
        else
            nodes.Error(YamlNodes.Child(root, "rules") ?? root, "'rules' must be a list of rules");

        foreach (var group in throttle.Groups)
            foreach (var survey in group.Surveys.Where(s => !surveys.ContainsKey(s)))
                nodes.Error(YamlNodes.Child(root, "throttle"), $"throttle group '{group.Name}' names survey '{survey}', which is not defined under 'surveys'");

        if (nodes.Errors.Count > 0)
            throw new RulesValidationException(nodes.Errors);
        return new SendRules(CurrentVersion, surveys, rules, throttle);
    }

    private static ThrottlePolicy ReadThrottle(YamlMappingNode root, YamlNodes nodes)
    {
        var node = YamlNodes.Child(root, "throttle");
        if (node is null)
            return ThrottlePolicy.Default;
        if (node is not YamlMappingNode map)
        {
            nodes.Error(node, "'throttle' must be a mapping of global, survey and groups");
            return ThrottlePolicy.Default;
        }
        nodes.CheckKeys(map, ["global", "survey", "groups"], "throttle");
        var groups = new List<ThrottleGroup>();
        if (YamlNodes.Child(map, "groups") is { } groupsNode)
        {
            if (groupsNode is YamlMappingNode groupMap)
            {
                foreach (var (key, value) in groupMap.Children)
                {
                    var name = ((YamlScalarNode)key).Value ?? "";
                    if (value is not YamlMappingNode group)
                    {
                        nodes.Error(value, $"throttle group '{name}' must be a mapping of surveys and period");
                        continue;
                    }
                    nodes.CheckKeys(group, ["surveys", "period"], $"throttle group '{name}'");
                    var members = nodes.Strings(group, "surveys", required: true);
                    var period = nodes.Duration(group, "period");
                    if (period is null)
                        nodes.Error(group, $"throttle group '{name}' needs a period");
                    groups.Add(new ThrottleGroup(name, members.ToHashSet(StringComparer.Ordinal), period ?? TimeSpan.Zero));
                }
            }
            else
                nodes.Error(groupsNode, "'groups' must be a mapping of group name to { surveys, period }");
        }
        return new ThrottlePolicy(
            nodes.Duration(map, "global") ?? ThrottlePolicy.Default.Global,
            nodes.Duration(map, "survey") ?? ThrottlePolicy.Default.SurveyDefault,
            groups);
    }

    /// <summary>Reads the six texts; a locale's missing text falls back to the survey's default text.</summary>
    private static SurveyTexts Texts(YamlMappingNode map, string survey, string? locale, YamlNodes nodes, SurveyTexts? fallback)
    {
        TextTemplate Text(string key, string? builtIn, TextTemplate? inherited)
        {
            var node = nodes.Scalar(map, key, required: builtIn is null && inherited is null);
            if (node is null)
                return inherited ?? TextTemplate.TryParse(builtIn ?? "", out _)!;
            var template = TextTemplate.Parse(node.Value!, out var error);
            if (template is null)
            {
                nodes.TextError(node, error!.Line, error.Column, $"survey '{survey}'{(locale is null ? "" : $" locale '{locale}'")} {key}: {error}");
                return TextTemplate.TryParse("", out _)!;
            }
            nodes.TextNodes[template] = node;
            return template;
        }
        return new SurveyTexts(Text("subject", null, fallback?.Subject), Text("intro", "", fallback?.Intro), Text("question", null, fallback?.Question),
            Text("low", MessageTexts.English.LowLabel, fallback?.LowLabel), Text("high", MessageTexts.English.HighLabel, fallback?.HighLabel),
            Text("why", MessageTexts.English.Why, fallback?.Why),
            YamlNodes.Child(map, "sms") is null && fallback?.Sms is null ? null : Text("sms", "", fallback?.Sms));
    }

    /// <summary>
    /// What a locale's missing texts fall back to: the survey's own texts, except the labels and "why?" the survey leaves
    /// to the service, which come built in, in the locale's language (<see cref="MessageTexts"/>), not in English.
    /// </summary>
    private static SurveyTexts LocaleFallback(YamlMappingNode survey, SurveyTexts defaults, string tag)
    {
        var builtIn = MessageTexts.For(tag);
        TextTemplate Own(string key, TextTemplate written, string text) =>
            YamlNodes.Child(survey, key) is null ? TextTemplate.TryParse(text, out _)! : written;
        return defaults with
        {
            LowLabel = Own("low", defaults.LowLabel, builtIn.LowLabel),
            HighLabel = Own("high", defaults.HighLabel, builtIn.HighLabel),
            Why = Own("why", defaults.Why, builtIn.Why),
        };
    }

    private static bool IsLanguageTag(string tag) =>
        System.Text.RegularExpressions.Regex.IsMatch(tag, "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$");

    private static (Dictionary<string, SurveyDefinition>, Dictionary<string, YamlMappingNode>) ReadSurveys(YamlMappingNode root, YamlNodes nodes)
    {
        var surveys = new Dictionary<string, SurveyDefinition>(StringComparer.Ordinal);
        var surveyNodes = new Dictionary<string, YamlMappingNode>(StringComparer.Ordinal);
        if (YamlNodes.Child(root, "surveys") is not YamlMappingNode surveysNode)
        {
            nodes.Error(YamlNodes.Child(root, "surveys") ?? root, "'surveys' must be a mapping of survey name to its texts");
            return (surveys, surveyNodes);
        }
        foreach (var (keyNode, valueNode) in surveysNode.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value ?? "";
            if (valueNode is not YamlMappingNode survey)
            {
                nodes.Error(valueNode, $"survey '{name}' must be a mapping of {string.Join(", ", SurveyKeys)}");
                continue;
            }
            nodes.CheckKeys(survey, SurveyKeys, $"survey '{name}'");
            var defaults = Texts(survey, name, null, nodes, null);
            var locales = new Dictionary<string, SurveyTexts>(StringComparer.OrdinalIgnoreCase);
            if (YamlNodes.Child(survey, "locales") is { } localesNode)
            {
                if (localesNode is YamlMappingNode localeMap)
                {
                    foreach (var (tagNode, textsNode) in localeMap.Children)
                    {
                        var tag = ((YamlScalarNode)tagNode).Value ?? "";
                        if (!IsLanguageTag(tag))
                            nodes.Error(tagNode, $"survey '{name}': '{tag}' is not a language tag (de, de-AT, pt-BR)");
                        if (textsNode is YamlMappingNode texts)
                        {
                            nodes.CheckKeys(texts, LocaleKeys, $"survey '{name}' locale '{tag}'");
                            locales[tag] = Texts(texts, name, tag, nodes, LocaleFallback(survey, defaults, tag));
                        }
                        else
                            nodes.Error(textsNode, $"survey '{name}' locale '{tag}' must be a mapping of {string.Join(", ", LocaleKeys)}");
                    }
                }
                else
                    nodes.Error(localesNode, $"survey '{name}': 'locales' must be a mapping of language tag to texts");
            }
            surveys[name] = new SurveyDefinition(name, defaults, nodes.Duration(survey, "recontact"), locales);
            surveyNodes[name] = survey;
        }
        return (surveys, surveyNodes);
    }
}
