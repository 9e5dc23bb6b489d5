using System.Text.RegularExpressions;

namespace NpsTriggers.Core.Privacy;

/// <summary>
/// Keeps personal data out of logs and traces. Provider answers and parser errors often quote the address they
/// are about ("550 5.1.1 &lt;anna@example.com&gt;: no such user", "'+4915…' is not a valid number"); every free
/// text that reaches a log goes through <see cref="Redact"/>. Logs identify people only by invitation id.
/// </summary>
public static partial class PersonalData
{
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return text ?? "";
        var redacted = EmailAddress().Replace(text, "[email]");
        return PhoneNumber().Replace(redacted, "[phone]");
    }

    [GeneratedRegex(@"[A-Za-z0-9][A-Za-z0-9._%+'\-]*@[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z]{2,}")]
    private static partial Regex EmailAddress();

    // E.164-like numbers, with or without spacing: "+49 151 1234 5678", "+4915112345678".
    [GeneratedRegex(@"\+\d[\d \-().]{5,18}\d")]
    private static partial Regex PhoneNumber();
}
