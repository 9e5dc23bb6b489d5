using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Core.Access;

/// <summary>What every configured API key must be, checked at start by each options class that holds keys.</summary>
public static class ApiKeyRules
{
    /// <summary>
    /// Shortest accepted key. 32 characters of a random alphabet are far beyond guessing, even with the failed-check
    /// rate limit lifted (<c>openssl rand -base64 32</c> gives 44).
    /// </summary>
    public const int MinLength = 32;

    /// <summary>A problem naming <paramref name="setting"/> for each key that is too short (the key itself is never quoted).</summary>
    public static IEnumerable<ValidationResult> Validate(string setting, IReadOnlyList<string> keys, string member)
    {
        ArgumentNullException.ThrowIfNull(keys);
        for (var i = 0; i < keys.Count; i++)
            if ((keys[i] ?? "").Trim().Length < MinLength)
                yield return new ValidationResult(
                    $"{setting} must each be at least {MinLength} characters long (openssl rand -base64 32); key {i + 1} of {keys.Count} has {(keys[i] ?? "").Trim().Length}.",
                    [member]);
    }
}
