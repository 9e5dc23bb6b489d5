using System.Globalization;
using System.Text.RegularExpressions;

namespace NpsTriggers.Triggers.Events;

/// <summary>Syntactic checks on contact fields; deliverability is the providers' job.</summary>
public static partial class ContactRules
{
    public static bool IsEmail(string text) => text.Length <= 254 && Email().IsMatch(text);

    public static bool IsE164(string text) => E164().IsMatch(text);

    /// <summary>The domain part is case-insensitive (RFC 5321 §2.4), the local part is not: only the domain is lowered.</summary>
    public static string NormaliseEmail(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        var at = email.LastIndexOf('@');
        return email[..at] + email[at..].ToLowerInvariant();
    }

    public static bool IsLocale(string text)
    {
        if (!Locale().IsMatch(text))
            return false;
        try
        {
            return !CultureInfo.GetCultureInfo(text, predefinedOnly: true).Equals(CultureInfo.InvariantCulture);
        }
        catch (CultureNotFoundException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^[^@\s""<>(),;:\\\[\]]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")]
    private static partial Regex Email();

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164();

    [GeneratedRegex(@"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    private static partial Regex Locale();
}
