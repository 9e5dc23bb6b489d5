using System.Globalization;
using System.Text.RegularExpressions;
using Fluid;

namespace NpsTriggers.Core.Rules;

/// <summary>
/// A survey text in Liquid (Fluid): <c>{{ recipient.name | default: "there" }}</c>, filters such as <c>upcase</c>,
/// <c>truncate</c> and <c>date</c> (in the recipient's zone and language), and tags such as <c>{% if %}</c>. It reads
/// <c>recipient.*</c> and the rule's kept <c>data.*</c> fields. Parsed once when the rules load, so each text is parsed
/// once per rules version and rendering does no parser work. Rendering never throws for a missing value: it renders
/// empty (or its <c>default</c>). Texts are plain text: the email's HTML part escapes the rendered text, values and
/// wording alike, once, and SMS and text parts take it as it is (docs/RULES.md).
/// </summary>
public sealed partial class TextTemplate
{
    public static readonly IReadOnlySet<string> RecipientFields =
        new HashSet<string>(StringComparer.Ordinal) { "customerId", "email", "phone", "name", "locale", "timeZone" };

    private readonly IFluidTemplate _template;
    private readonly string[] _paths;

    private TextTemplate(string source, IFluidTemplate template, string[] paths)
    {
        Source = source;
        _template = template;
        _paths = paths;
    }

    public string Source { get; }

    /// <summary>The variables the text reads, e.g. <c>recipient.name</c>, <c>data.orderId</c>, once each, in order.</summary>
    public IReadOnlyList<string> Paths => _paths;

    /// <summary>Parses a text; returns the problem with its line and column inside the text instead of throwing.</summary>
    public static TextTemplate? Parse(string source, out TemplateError? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        error = null;
        IFluidTemplate template;
        try
        {
            template = Liquid.Parser.Parse(source);
        }
        catch (ParseException e)
        {
            var (line, column) = e.Position is { } at ? (at.Line, at.Column) : (1, 1);
            error = new TemplateError(Describe(e.Message), line, column);
            return null;
        }
        var (paths, problem) = TemplateVariables.Of(template);
        if (problem is not null)
        {
            var (line, column) = Locate(source, problem);
            error = new TemplateError(problem, line, column);
            return null;
        }
        return new TextTemplate(source, template, [.. paths]);
    }

    /// <summary>Parses a text; the error names the line and column inside the text.</summary>
    public static TextTemplate? TryParse(string source, out string? error)
    {
        var template = Parse(source, out TemplateError? problem);
        error = problem?.ToString();
        return template;
    }

    /// <summary>Renders with a message's values: plain text, nothing HTML-encoded.</summary>
    public string Render(TemplateValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var context = new RecipientContext(values.Culture)
        {
            CultureInfo = CultureInfo.InvariantCulture,
            TimeZone = values.Zone,
            Now = values.Clock.GetUtcNow,
        };
        context.SetValue("recipient", values.Recipient);
        context.SetValue("data", values.Data);
        return _template.Render(context, NullEncoder.Default, isolateContext: false);
    }

    /// <summary>Renders with values looked up by path (pages and replies that have no invitation at hand pass <c>_ =&gt; null</c>).</summary>
    public string Render(Func<string, string?> resolve) => Render(TemplateValues.From(resolve, _paths));

    public override string ToString() => Source;

    // Fluid's message ends with " at (line:column)" and may quote the source after it; the position is reported apart.
    private static string Describe(string message)
    {
        var first = message.Split('\n', 2)[0].TrimEnd();
        return Position().Replace(first, "");
    }

    /// <summary>Where a path is first mentioned in the text (1-based), for messages about it.</summary>
    public (int Line, int Column) PositionOf(string path) => Locate(Source, $"'{path}'");

    // Variable problems come from the syntax tree, which carries no positions: point at the first mention of the name.
    private static (int Line, int Column) Locate(string source, string problem)
    {
        var quoted = Quoted().Match(problem);
        var index = quoted.Success ? source.IndexOf(quoted.Groups[1].Value, StringComparison.Ordinal) : -1;
        if (index < 0 && quoted.Success && quoted.Groups[1].Value.Split('.') is [var root, var field])
            index = source.IndexOf(field, source.IndexOf(root, StringComparison.Ordinal) is var r and >= 0 ? r : 0, StringComparison.Ordinal);
        if (index < 0)
            return (1, 1);
        var line = 1 + source.AsSpan(0, index).Count('\n');
        var column = index - (source.LastIndexOf('\n', Math.Max(index - 1, 0)) + 1) + 1;
        return (line, column);
    }

    [GeneratedRegex(@"\s*at \(\d+:\d+\)\s*$")]
    private static partial Regex Position();

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex Quoted();
}
