using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace NpsTriggers.Core.Rules;

/// <summary>Small readers over YamlDotNet's node model that report problems with the node's position.</summary>
internal sealed class YamlNodes(string fileName, string source = "")
{
    private readonly string[] _lines = source.Split('\n');

    public List<string> Errors { get; } = [];

    /// <summary>The scalar each survey text was read from, so a later check (a rule's <c>keep</c>) can point into it.</summary>
    public Dictionary<TextTemplate, YamlScalarNode> TextNodes { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Records "file:line:column: message" for a position inside a text, mapped from the text into the file.</summary>
    public void TextError(YamlScalarNode node, int line, int column, string message)
    {
        var (fileLine, fileColumn) = InFile(node, line, column);
        Errors.Add($"{fileName}:{fileLine}:{fileColumn}: {message}");
    }

    /// <summary>
    /// Maps a 1-based position inside a scalar's value to the file. Exact for one-line plain and quoted values and for
    /// literal blocks (<c>|</c>); for folded blocks and escapes in quoted values it is the nearest line and column.
    /// </summary>
    private (long Line, long Column) InFile(YamlScalarNode node, int line, int column)
    {
        if (node.Style is YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded)
        {
            // A block's text starts on the line after its indicator, at the block's indentation.
            var fileLine = node.Start.Line + line;
            return (fileLine, Indentation(fileLine) + column);
        }
        if (line == 1)
        {
            var quote = node.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted ? 1 : 0;
            return (node.Start.Line, node.Start.Column + quote + column - 1);
        }
        var continued = node.Start.Line + line - 1;
        return (continued, Indentation(continued) + column);
    }

    private int Indentation(long fileLine) =>
        fileLine >= 1 && fileLine <= _lines.Length ? _lines[fileLine - 1].Length - _lines[fileLine - 1].TrimStart(' ').Length : 0;

    /// <summary>Records "file:line:column: [rule 'r' ][field 'f': ]message".</summary>
    public void Error(YamlNode? node, string message, string? rule = null, string? field = null)
    {
        var where = node is null ? fileName : $"{fileName}:{node.Start.Line}:{node.Start.Column}";
        var subject = (rule is null ? "" : $"rule '{rule}' ") + (field is null ? "" : $"field '{field}'");
        var separator = field is null || message.StartsWith("is ", StringComparison.Ordinal) ? " " : ": ";
        Errors.Add($"{where}: {(subject.Length == 0 ? message : subject.TrimEnd() + separator + message)}");
    }

    public static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    public void CheckKeys(YamlMappingNode map, IReadOnlyCollection<string> allowed, string where, string? rule = null)
    {
        foreach (var key in map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value;
            if (name is null || !allowed.Contains(name))
                Error(key, $"unknown key '{name}' in {where} (allowed: {string.Join(", ", allowed)})", rule);
        }
    }

    public YamlScalarNode? Scalar(YamlMappingNode map, string key, bool required, string? rule = null)
    {
        var node = Child(map, key);
        if (node is null)
        {
            if (required)
                Error(map, "is required", rule, key);
            return null;
        }
        if (node is YamlScalarNode scalar && !string.IsNullOrWhiteSpace(scalar.Value))
            return scalar;
        Error(node, "must be a non-empty value", rule, key);
        return null;
    }

    public List<string> Strings(YamlMappingNode map, string key, bool required, string? rule = null)
    {
        var node = Child(map, key);
        switch (node)
        {
            case null:
                if (required)
                    Error(map, "is required", rule, key);
                return [];
            case YamlScalarNode { Value: { Length: > 0 } one }:
                return [one];
            case YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode { Value.Length: > 0 }):
                return list.Children.Select(c => ((YamlScalarNode)c).Value!).ToList();
            default:
                Error(node, "must be a value or a list of values", rule, key);
                return [];
        }
    }

    public TimeSpan? Duration(YamlMappingNode map, string key, string? rule = null)
    {
        var node = Scalar(map, key, required: false, rule);
        if (node is null)
            return null;
        if (Rules.Duration.TryParse(node.Value!, out var value))
            return value;
        Error(node, $"'{node.Value}' is not a duration (use 14d, 1h30m, 90s or ISO 8601 like PT1H)", rule, key);
        return null;
    }

    public int? Integer(YamlMappingNode map, string key, int min, int max, string? rule = null)
    {
        var node = Scalar(map, key, required: false, rule);
        if (node is null)
            return null;
        if (int.TryParse(node.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        Error(node, $"'{node.Value}' is not a whole number from {min} to {max}", rule, key);
        return null;
    }
}
