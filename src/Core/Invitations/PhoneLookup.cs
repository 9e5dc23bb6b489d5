namespace NpsTriggers.Core.Invitations;

/// <summary>
/// A phone number typed into a look-up (<c>/api/decisions?phone=</c>) in the E.164 form intake stores
/// (<c>+</c> and 7 to 15 digits, docs/EVENTS.md): spaces, dots, dashes and brackets go, a <c>00</c> prefix becomes
/// <c>+</c>, and a leading <c>+</c> lost to URL decoding (an unescaped <c>+</c> in a query string reads as a space) is put back.
/// </summary>
public static class PhoneLookup
{
    public static string? Normalise(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var digits = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c) || (c == '+' && digits.Length == 0))
                digits.Append(c);
            else if (!(char.IsWhiteSpace(c) || c is '-' or '.' or '(' or ')' or '/'))
                return null;
        }
        var number = digits.ToString();
        if (number.StartsWith("00", StringComparison.Ordinal))
            number = "+" + number[2..];
        else if (!number.StartsWith('+'))
            number = "+" + number;
        return number.Length is >= 8 and <= 16 && number[1] != '0' && number.Skip(1).All(char.IsAsciiDigit) ? number : null;
    }
}
