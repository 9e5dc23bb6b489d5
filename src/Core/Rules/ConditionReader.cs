using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NpsTriggers.Core.Rules;

/// <summary>
/// Reads <c>when:</c>: a mapping with one of <c>all: [...]</c>, <c>any: [...]</c>, <c>not: {...}</c>, or a leaf
/// <c>{ field: data.amount, gt: 20 }</c> with one operator of eq, ne, gt, gte, lt, lte, in, notIn, exists.
/// </summary>
internal static class ConditionReader
{
    public static Condition? Read(YamlNode node, YamlNodes yaml, string rule)
    {
        if (node is YamlSequenceNode list)
            return Combine(list, yaml, rule, items => new AllCondition((int)node.Start.Line, items));
        if (node is not YamlMappingNode map)
        {
            yaml.Error(node, "a condition is a mapping: all / any / not, or { field: …, <operator>: … }", rule, "when");
            return null;
        }
        if (YamlNodes.Child(map, "all") is { } all)
        {
            yaml.CheckKeys(map, ["all"], "a condition", rule);
            return all is YamlSequenceNode items
                ? Combine(items, yaml, rule, c => new AllCondition((int)node.Start.Line, c))
                : Fail(yaml, all, rule, "'all' takes a list of conditions");
        }
        if (YamlNodes.Child(map, "any") is { } any)
        {
            yaml.CheckKeys(map, ["any"], "a condition", rule);
            return any is YamlSequenceNode items
                ? Combine(items, yaml, rule, c => new AnyCondition((int)node.Start.Line, c))
                : Fail(yaml, any, rule, "'any' takes a list of conditions");
        }
        if (YamlNodes.Child(map, "not") is { } not)
        {
            yaml.CheckKeys(map, ["not"], "a condition", rule);
            return Read(not, yaml, rule) is { } inner ? new NotCondition((int)node.Start.Line, inner) : null;
        }
        return Leaf(map, yaml, rule);
    }

    private static Condition? Leaf(YamlMappingNode map, YamlNodes yaml, string rule)
    {
        yaml.CheckKeys(map, ["field", .. FieldCondition.Operators.Keys], "a condition", rule);
        var field = yaml.Scalar(map, "field", required: true, rule)?.Value;
        if (field is not null && !(field.StartsWith("data.", StringComparison.Ordinal) || field.StartsWith("recipient.", StringComparison.Ordinal)))
        {
            yaml.Error(YamlNodes.Child(map, "field"), $"'{field}' must start with data. or recipient.", rule, "when");
            return null;
        }
        var operators = map.Children.Keys.OfType<YamlScalarNode>().Where(k => k.Value is not null && FieldCondition.Operators.ContainsKey(k.Value)).ToList();
        if (operators.Count != 1)
        {
            yaml.Error(map, $"a condition needs exactly one operator ({string.Join(", ", FieldCondition.Operators.Keys)}), found {operators.Count}", rule, "when");
            return null;
        }
        var op = FieldCondition.Operators[operators[0].Value!];
        var valueNode = map.Children[operators[0]];
        var values = new List<JsonElement>();
        if (op is ComparisonOperator.In or ComparisonOperator.NotIn)
        {
            if (valueNode is not YamlSequenceNode list || list.Children.Count == 0 || list.Children.Any(c => c is not YamlScalarNode))
                return Fail(yaml, valueNode, rule, $"'{operators[0].Value}' takes a non-empty list of values");
            values.AddRange(list.Children.Cast<YamlScalarNode>().Select(Json));
        }
        else if (valueNode is YamlScalarNode scalar)
        {
            var value = Json(scalar);
            if (op == ComparisonOperator.Exists && value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return Fail(yaml, valueNode, rule, "'exists' takes true or false");
            if (op is ComparisonOperator.Gt or ComparisonOperator.Gte or ComparisonOperator.Lt or ComparisonOperator.Lte
                && value.ValueKind is not (JsonValueKind.Number or JsonValueKind.String))
                return Fail(yaml, valueNode, rule, $"'{operators[0].Value}' compares with a number or a text");
            values.Add(value);
        }
        else
            return Fail(yaml, valueNode, rule, $"'{operators[0].Value}' takes a single value");
        return field is null ? null : new FieldCondition((int)map.Start.Line, field, op, values);
    }

    /// <summary>YAML scalars as JSON values: plain numbers and booleans keep their type, quoted text stays text.</summary>
    private static JsonElement Json(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.Plain)
        {
            if (text is "true" or "false")
                return JsonDocument.Parse(text).RootElement.Clone();
            if (decimal.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)
                && text.Trim() == text && !text.StartsWith('+'))
            {
                try
                {
                    return JsonDocument.Parse(text).RootElement.Clone();
                }
                catch (JsonException)
                {
                    // Not a JSON number (e.g. "007"): treat it as text.
                }
            }
        }
        return JsonSerializer.SerializeToElement(text);
    }

    private static Condition? Combine(YamlSequenceNode list, YamlNodes yaml, string rule, Func<IReadOnlyList<Condition>, Condition> make)
    {
        if (list.Children.Count == 0)
            return Fail(yaml, list, rule, "an empty list of conditions");
        var items = list.Children.Select(c => Read(c, yaml, rule)).ToList();
        return items.All(i => i is not null) ? make(items!) : null;
    }

    private static Condition? Fail(YamlNodes yaml, YamlNode node, string rule, string message)
    {
        yaml.Error(node, message, rule, "when");
        return null;
    }
}
