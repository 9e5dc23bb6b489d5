using System.Globalization;
using System.Text.Json;

namespace NpsTriggers.Core.Rules;

/// <summary>The outcome of a condition, with the reason when it is false ("data.amount (12.5) is not > 20, line 14").</summary>
public readonly record struct ConditionResult(bool Matched, string? Why)
{
    public static readonly ConditionResult Yes = new(true, null);
}

/// <summary>
/// A rule's <c>when:</c> condition over the event's data: comparisons, <c>in</c> lists, <c>exists</c>, and
/// <c>all</c> / <c>any</c> / <c>not</c>. Paths are <c>data.a.b</c> or <c>recipient.x</c> (short for
/// <c>data.recipient.x</c>).
/// </summary>
public abstract record Condition(int Line)
{
    public abstract ConditionResult Evaluate(JsonElement data);

    public abstract string Describe();

    /// <summary>Resolves a path against the event's data; false when any step is missing.</summary>
    public static bool TryResolve(JsonElement data, string path, out JsonElement value)
    {
        ArgumentNullException.ThrowIfNull(path);
        value = data;
        var parts = path.Split('.');
        var start = parts[0] switch
        {
            "data" => 1,
            "recipient" => 0,
            _ => -1,
        };
        if (start < 0)
            return false;
        for (var i = start; i < parts.Length; i++)
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(parts[i], out value))
                return false;
        }
        return value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined);
    }

    internal static string Show(JsonElement value) => value.ValueKind == JsonValueKind.String ? $"\"{value.GetString()}\"" : value.GetRawText();
}

public sealed record AllCondition(int Line, IReadOnlyList<Condition> Items) : Condition(Line)
{
    public override ConditionResult Evaluate(JsonElement data)
    {
        foreach (var item in Items)
            if (item.Evaluate(data) is { Matched: false } failed)
                return failed;
        return ConditionResult.Yes;
    }

    public override string Describe() => "all(" + string.Join(", ", Items.Select(i => i.Describe())) + ")";
}

public sealed record AnyCondition(int Line, IReadOnlyList<Condition> Items) : Condition(Line)
{
    public override ConditionResult Evaluate(JsonElement data)
    {
        var reasons = new List<string>();
        foreach (var item in Items)
        {
            var result = item.Evaluate(data);
            if (result.Matched)
                return ConditionResult.Yes;
            reasons.Add(result.Why!);
        }
        return new ConditionResult(false, $"none of any (line {Line}) holds: {string.Join("; ", reasons)}");
    }

    public override string Describe() => "any(" + string.Join(", ", Items.Select(i => i.Describe())) + ")";
}

public sealed record NotCondition(int Line, Condition Inner) : Condition(Line)
{
    public override ConditionResult Evaluate(JsonElement data) =>
        Inner.Evaluate(data).Matched ? new ConditionResult(false, $"not({Inner.Describe()}) is false (line {Line})") : ConditionResult.Yes;

    public override string Describe() => $"not({Inner.Describe()})";
}

/// <summary>Comparison operators of a leaf condition.</summary>
public enum ComparisonOperator { Eq, Ne, Gt, Gte, Lt, Lte, In, NotIn, Exists }

/// <summary>A leaf: <c>{ field: data.amount, gt: 20 }</c>.</summary>
public sealed record FieldCondition(int Line, string Field, ComparisonOperator Operator, IReadOnlyList<JsonElement> Values) : Condition(Line)
{
    public static readonly IReadOnlyDictionary<string, ComparisonOperator> Operators = new Dictionary<string, ComparisonOperator>(StringComparer.Ordinal)
    {
        ["eq"] = ComparisonOperator.Eq, ["ne"] = ComparisonOperator.Ne, ["gt"] = ComparisonOperator.Gt, ["gte"] = ComparisonOperator.Gte,
        ["lt"] = ComparisonOperator.Lt, ["lte"] = ComparisonOperator.Lte, ["in"] = ComparisonOperator.In, ["notIn"] = ComparisonOperator.NotIn,
        ["exists"] = ComparisonOperator.Exists,
    };

    private static readonly Dictionary<ComparisonOperator, string> Symbols = new()
    {
        [ComparisonOperator.Eq] = "==", [ComparisonOperator.Ne] = "!=", [ComparisonOperator.Gt] = ">", [ComparisonOperator.Gte] = ">=",
        [ComparisonOperator.Lt] = "<", [ComparisonOperator.Lte] = "<=", [ComparisonOperator.In] = "in", [ComparisonOperator.NotIn] = "not in",
        [ComparisonOperator.Exists] = "exists",
    };

    public override ConditionResult Evaluate(JsonElement data)
    {
        var found = TryResolve(data, Field, out var actual);
        if (Operator == ComparisonOperator.Exists)
        {
            var wanted = Values[0].ValueKind == JsonValueKind.True;
            return found == wanted ? ConditionResult.Yes
                : new ConditionResult(false, $"{Field} {(found ? "exists" : "does not exist")} (line {Line})");
        }
        if (!found)
            return Operator is ComparisonOperator.Ne or ComparisonOperator.NotIn
                ? ConditionResult.Yes
                : new ConditionResult(false, $"{Field} is missing, so {Describe()} is false (line {Line})");
        var matched = Operator switch
        {
            ComparisonOperator.Eq => Values.Any(v => Equal(actual, v)),
            ComparisonOperator.Ne => !Values.Any(v => Equal(actual, v)),
            ComparisonOperator.In => Values.Any(v => Equal(actual, v)),
            ComparisonOperator.NotIn => !Values.Any(v => Equal(actual, v)),
            _ => Compare(actual, Values[0]) is { } order && Operator switch
            {
                ComparisonOperator.Gt => order > 0,
                ComparisonOperator.Gte => order >= 0,
                ComparisonOperator.Lt => order < 0,
                _ => order <= 0,
            },
        };
        return matched ? ConditionResult.Yes
            : new ConditionResult(false, $"{Field} ({Show(actual)}) is not {Symbols[Operator]} {ShowValues()} (line {Line})");
    }

    public override string Describe() => $"{Field} {Symbols[Operator]} {ShowValues()}";

    private string ShowValues() => Operator is ComparisonOperator.In or ComparisonOperator.NotIn
        ? "[" + string.Join(", ", Values.Select(Show)) + "]"
        : Show(Values[0]);

    private static bool Equal(JsonElement actual, JsonElement expected) => (actual.ValueKind, expected.ValueKind) switch
    {
        (JsonValueKind.Number, JsonValueKind.Number) => CompareNumbers(Number(actual), Number(expected)) == 0,
        (JsonValueKind.String, JsonValueKind.String) => actual.GetString() == expected.GetString(),
        // Publishers send "20" and 20 interchangeably; compare a numeric string with a number by value.
        (JsonValueKind.String, JsonValueKind.Number) => CompareNumbers(Number(actual), Number(expected)) == 0,
        (JsonValueKind.True or JsonValueKind.False, JsonValueKind.True or JsonValueKind.False) => actual.ValueKind == expected.ValueKind,
        _ => false,
    };

    private static int? Compare(JsonElement actual, JsonElement expected)
    {
        if (expected.ValueKind == JsonValueKind.Number && CompareNumbers(Number(actual), Number(expected)) is { } order)
            return order;
        if (actual.ValueKind == JsonValueKind.String && expected.ValueKind == JsonValueKind.String)
            return string.CompareOrdinal(actual.GetString(), expected.GetString());
        return null;
    }

    /// <summary>
    /// A number or numeric string as exactly as it can be held: a decimal when it fits (exact, 28 digits), else a finite
    /// double (1e300); null when it is no number or beyond both (1e400), so that it compares with nothing.
    /// </summary>
    private static (decimal? Exact, double? Approximate)? Number(JsonElement value)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.String => value.GetString(),
            _ => null,
        };
        if (text is null)
            return null;
        var styles = value.ValueKind == JsonValueKind.Number ? NumberStyles.Float : NumberStyles.Number;
        if (decimal.TryParse(text, styles, CultureInfo.InvariantCulture, out var exact))
            return (exact, null);
        return double.TryParse(text, styles, CultureInfo.InvariantCulture, out var approximate) && double.IsFinite(approximate)
            ? (null, approximate)
            : null;
    }

    private static int? CompareNumbers((decimal? Exact, double? Approximate)? a, (decimal? Exact, double? Approximate)? b)
    {
        if (a is not { } x || b is not { } y)
            return null;
        if (x.Exact is { } xd && y.Exact is { } yd)
            return xd.CompareTo(yd);
        return (x.Approximate ?? (double)x.Exact!.Value).CompareTo(y.Approximate ?? (double)y.Exact!.Value);
    }
}
