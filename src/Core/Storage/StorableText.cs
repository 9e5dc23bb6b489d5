using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NpsTriggers.Core.Storage;

/// <summary>
/// Text PostgreSQL cannot store. Its <c>text</c> and <c>jsonb</c> refuse U+0000 (NUL, SQLSTATE 22021 / 22P05), and an
/// unpaired UTF-16 surrogate has no UTF-8 form at all. Valid UTF-8 from outside can carry either only as a JSON
/// <c>\u</c> escape, so a JSON document needs a closer look only when its bytes contain one.
/// </summary>
public static class StorableText
{
    /// <summary>Why <paramref name="text"/> cannot be stored, or null when it can.</summary>
    public static string? Problem(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
                return $"contains U+0000 (NUL) at character {i}, which PostgreSQL text cannot store";
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
                return $"contains an unpaired surrogate U+{(int)c:X4} at character {i}, which is not Unicode text";
        }
        return null;
    }

    /// <summary>True when <paramref name="utf8Json"/> has a <c>\u</c> escape, the only way NUL or a lone surrogate gets in.</summary>
    public static bool MayHideUnstorable(ReadOnlySpan<byte> utf8Json) => utf8Json.IndexOf("\\u"u8) >= 0;

    /// <summary>
    /// The first string or property name in <paramref name="element"/> that cannot be stored, as
    /// <c>(path, problem)</c> with <paramref name="path"/> as its prefix (<c>data.recipient.name</c>, <c>data.items[2]</c>).
    /// With <paramref name="asJsonb"/>, numbers that <c>jsonb</c> cannot hold count too.
    /// </summary>
    public static (string Path, string Problem)? FindIn(JsonElement element, string path, bool asJsonb = false)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Text(element, out var text) ? Problem(text) is { } problem ? (path, problem) : null : (path, LoneSurrogateEscape);
            case JsonValueKind.Number:
                return asJsonb && NumberProblem(element.GetRawText()) is { } numberProblem ? (path, numberProblem) : null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!Name(property, out var name))
                        return ($"{path} (a property name)", LoneSurrogateEscape);
                    if (Problem(name) is { } nameProblem)
                        return ($"{path} (a property name)", nameProblem);
                    if (FindIn(property.Value, path + "." + property.Name, asJsonb) is { } found)
                        return found;
                }
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindIn(item, string.Create(CultureInfo.InvariantCulture, $"{path}[{index++}]"), asJsonb) is { } found)
                        return found;
                }
                return null;
            default:
                return null;
        }
    }

    private const string LoneSurrogateEscape = "contains an unpaired surrogate escape (\\uD800 to \\uDFFF without its pair), which is not Unicode text";

    // System.Text.Json refuses to decode a lone surrogate escape: it throws InvalidOperationException from GetString.
    private static bool Text(JsonElement element, out string text)
    {
        try
        {
            text = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    private static bool Name(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = "";
            return false;
        }
    }

    // PostgreSQL's numeric, which jsonb numbers are: at most 131072 digits before the point and 16383 after it
    // (https://www.postgresql.org/docs/15/datatype-numeric.html); 1e131072 or 1e-16384 fail with 22003.
    private const int NumericIntegerDigits = 131072;
    private const int NumericFractionDigits = 16383;

    /// <summary>Why a JSON number (its raw text) cannot be a <c>jsonb</c> number, or null when it can.</summary>
    public static string? NumberProblem(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var e = raw.IndexOfAny(['e', 'E']);
        var mantissa = (e < 0 ? raw : raw[..e]).TrimStart('-');
        long exponent = 0;
        if (e >= 0 && !long.TryParse(raw.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent))
            return $"the number {Shorten(raw)} has an exponent out of any range PostgreSQL can store";
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var integer = (point < 0 ? mantissa : mantissa[..point]).TrimStart('0');
        var fraction = point < 0 ? "" : mantissa[(point + 1)..];
        var integerDigits = (integer.Length > 0 || fraction.Trim('0').Length > 0 ? integer.Length : 0) + exponent;
        var fractionDigits = fraction.Length - exponent;
        return integerDigits > NumericIntegerDigits || fractionDigits > NumericFractionDigits
            ? $"the number {Shorten(raw)} is out of the range PostgreSQL can store (at most {NumericIntegerDigits} digits before the point and {NumericFractionDigits} after it)"
            : null;
    }

    private static string Shorten(string raw) => raw.Length <= 40 ? raw : string.Concat(raw.AsSpan(0, 37), "…");

    /// <summary>
    /// <paramref name="text"/> made storable for a reason or a log line: NUL and unpaired surrogates become visible
    /// <c>\u0000</c>-style escapes, and text past <paramref name="maxLength"/> characters is cut with an ellipsis.
    /// </summary>
    public static string Escape(string text, int maxLength = 4000)
    {
        ArgumentNullException.ThrowIfNull(text);
        var escaped = text;
        if (Problem(text) is not null)
        {
            var builder = new StringBuilder(text.Length + 16);
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    builder.Append(c).Append(text[++i]);
                else if (c == '\0' || char.IsSurrogate(c))
                    builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                else
                    builder.Append(c);
            }
            escaped = builder.ToString();
        }
        if (escaped.Length <= maxLength)
            return escaped;
        // Never cut a surrogate pair in two: that would make the text unstorable again.
        var cut = char.IsHighSurrogate(escaped[maxLength - 1]) ? maxLength - 1 : maxLength;
        return string.Concat(escaped.AsSpan(0, cut), "…");
    }
}
