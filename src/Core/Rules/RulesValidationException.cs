namespace NpsTriggers.Core.Rules;

/// <summary>A send-rules file that cannot be used; every problem is reported as <c>file:line:column: message</c>.</summary>
public sealed class RulesValidationException(IReadOnlyList<string> errors)
    : Exception("The send rules are invalid:" + Environment.NewLine + string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
