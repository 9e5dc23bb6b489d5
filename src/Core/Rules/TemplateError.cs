namespace NpsTriggers.Core.Rules;

/// <summary>A problem in a survey text, at a 1-based line and column inside the text (the loader maps it into the file).</summary>
public sealed record TemplateError(string Message, int Line, int Column)
{
    public override string ToString() => $"{Message} (text line {Line}, column {Column})";
}
