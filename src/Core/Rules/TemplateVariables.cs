using Fluid;
using Fluid.Ast;

namespace NpsTriggers.Core.Rules;

/// <summary>
/// Walks a parsed text and collects every variable it reads, wherever it sits: in output, in <c>if</c>/<c>unless</c>/
/// <c>case</c> conditions, <c>for</c> sources and filter arguments. The rules validator needs them to reject unknown
/// recipient fields and <c>data.*</c> fields the rule does not keep; names the text itself defines (<c>assign</c>,
/// <c>capture</c>, <c>for</c>) are its own and pass.
/// </summary>
internal sealed class TemplateVariables : AstVisitor
{
    private static readonly HashSet<string> BuiltIns = new(StringComparer.Ordinal) { "forloop", "tablerowloop", "empty", "blank", "nil", "null" };

    // Reading a string literal needs a context only by signature; one idle context serves every walk.
    private static readonly TemplateContext Inert = new(Liquid.Options);

    private readonly List<MemberExpression> _reads = [];
    private readonly HashSet<string> _locals = new(StringComparer.Ordinal);
    private readonly List<string> _unsupported = [];

    /// <summary>The paths read (<c>recipient.name</c>, <c>data.orderId</c>), in order, once each; and the first problem.</summary>
    public static (IReadOnlyList<string> Paths, string? Problem) Of(IFluidTemplate template)
    {
        var walker = new TemplateVariables();
        walker.VisitTemplate(template);
        var paths = new List<string>();
        foreach (var read in walker._reads)
        {
            var (path, problem) = walker.PathOf(read);
            if (problem is not null)
                return (paths, problem);
            if (path is not null && !paths.Contains(path))
                paths.Add(path);
        }
        return (paths, walker._unsupported.Count > 0 ? walker._unsupported[0] : null);
    }

    private (string? Path, string? Problem) PathOf(MemberExpression read)
    {
        var root = (read.Segments[0] as IdentifierSegment)?.Identifier;
        if (root is null || _locals.Contains(root) || BuiltIns.Contains(root))
            return (null, null);
        if (root is not ("recipient" or "data"))
            return (null, $"'{root}' is not a value a survey text can use (use recipient.<field> or data.<field>)");
        var field = read.Segments.Count > 1 ? FieldName(read.Segments[1]) : null;
        if (field is null)
            return (null, $"'{root}' must be followed by a field name, like {root}.{(root == "data" ? "orderId" : "name")}");
        if (root == "recipient" && !TextTemplate.RecipientFields.Contains(field))
            return (null, $"'recipient.{field}' is not a recipient field (known: {string.Join(", ", TextTemplate.RecipientFields)})");
        return ($"{root}.{field}", null);
    }

    private static string? FieldName(MemberSegment segment) => segment switch
    {
        IdentifierSegment identifier => identifier.Identifier,
        IndexerSegment { Expression: LiteralExpression { Value: Fluid.Values.StringValue name } } => name.ToStringValue(Inert),
        _ => null,
    };

    protected override Expression VisitMemberExpression(MemberExpression memberExpression)
    {
        _reads.Add(memberExpression);
        foreach (var segment in memberExpression.Segments)
            if (segment is IndexerSegment indexer)
                Visit(indexer.Expression);
        return base.VisitMemberExpression(memberExpression);
    }

    protected override Statement VisitAssignStatement(AssignStatement assignStatement)
    {
        _locals.Add(assignStatement.Identifier);
        return base.VisitAssignStatement(assignStatement);
    }

    protected override Statement VisitCaptureStatement(CaptureStatement captureStatement)
    {
        _locals.Add(captureStatement.Identifier);
        return base.VisitCaptureStatement(captureStatement);
    }

    protected override Statement VisitForStatement(ForStatement forStatement)
    {
        _locals.Add(forStatement.Identifier);
        return base.VisitForStatement(forStatement);
    }

    // Survey texts come from one rules file: there is nothing to include, and macros would hide variable reads.
    protected override Statement VisitIncludeStatement(IncludeStatement includeStatement) => Unsupported("include", includeStatement);
    protected override Statement VisitRenderStatement(RenderStatement renderStatement) => Unsupported("render", renderStatement);
    protected override Statement VisitMacroStatement(MacroStatement macroStatement) => Unsupported("macro", macroStatement);
    protected override Statement VisitFromStatement(FromStatement fromStatement) => Unsupported("from", fromStatement);

    private Statement Unsupported(string tag, Statement statement)
    {
        _unsupported.Add($"the '{tag}' tag is not available in survey texts");
        return statement;
    }
}
