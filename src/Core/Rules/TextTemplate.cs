using System.Text;
using System.Text.RegularExpressions;

namespace NpsTriggers.Core.Rules;

/// <summary>
/// A text with <c>{{ path }}</c> and <c>{{ path | default: "text" }}</c> placeholders, where path is
/// <c>recipient.name</c> (or another recipient field) or <c>data.field</c>. Deliberately tiny; the send-rules
/// issue replaces it with Liquid (Fluid). Rendering never throws: a missing value renders the default or nothing.
/// </summary>
public sealed partial class TextTemplate
{
    public static readonly IReadOnlySet<string> RecipientFields =
        new HashSet<string>(StringComparer.Ordinal) { "customerId", "email", "phone", "name", "locale", "timeZone" };

    private readonly (string Literal, string? Path, string? Default)[] _parts;

    private TextTemplate(string source, (string, string?, string?)[] parts)
    {
        Source = source;
        _parts = parts;
    }

    public string Source { get; }

    /// <summary>The placeholder paths, e.g. <c>recipient.name</c>, <c>data.orderId</c>.</summary>
    public IEnumerable<string> Paths => _parts.Where(p => p.Path is not null).Select(p => p.Path!);

    /// <summary>Parses a template; returns an error message instead of throwing, for the rules validator.</summary>
    public static TextTemplate? TryParse(string source, out string? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        error = null;
        var parts = new List<(string, string?, string?)>();
        var position = 0;
        foreach (Match match in Placeholder().Matches(source))
        {
            parts.Add((source[position..match.Index], null, null));
            var path = match.Groups["path"].Value;
            var root = path.Split('.')[0];
            if (root is not ("recipient" or "data") || path.Split('.').Length != 2)
            {
                error = $"placeholder '{{{{ {path} }}}}' must be recipient.<field> or data.<field>";
                return null;
            }
            if (root == "recipient" && !RecipientFields.Contains(path[10..]))
            {
                error = $"'{path}' is not a recipient field (known: {string.Join(", ", RecipientFields)})";
                return null;
            }
            parts.Add(("", path, match.Groups["default"].Success ? match.Groups["default"].Value : null));
            position = match.Index + match.Length;
        }
        var rest = source[position..];
        if (rest.Contains("{{", StringComparison.Ordinal) || rest.Contains("}}", StringComparison.Ordinal)
            || parts.Any(p => p.Item1.Contains("{{", StringComparison.Ordinal)))
        {
            error = "unbalanced or malformed '{{ }}' placeholder";
            return null;
        }
        parts.Add((rest, null, null));
        return new TextTemplate(source, [.. parts]);
    }

    public string Render(Func<string, string?> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        var text = new StringBuilder();
        foreach (var (literal, path, fallback) in _parts)
        {
            text.Append(literal);
            if (path is null)
                continue;
            var value = resolve(path);
            text.Append(string.IsNullOrWhiteSpace(value) ? fallback : value);
        }
        return text.ToString();
    }

    public override string ToString() => Source;

    [GeneratedRegex("""\{\{\s*(?<path>[A-Za-z0-9_.]+)\s*(\|\s*default:\s*"(?<default>[^"]*)"\s*)?\}\}""")]
    private static partial Regex Placeholder();
}
