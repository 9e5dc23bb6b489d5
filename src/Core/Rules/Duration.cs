using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;

namespace NpsTriggers.Core.Rules;

/// <summary>Durations in rules: <c>14d</c>, <c>1h30m</c>, <c>90s</c>, or ISO 8601 (<c>PT1H</c>, <c>P14D</c>).</summary>
public static partial class Duration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        text = text.Trim();
        if (text.StartsWith('P'))
        {
            try
            {
                value = XmlConvert.ToTimeSpan(text);
                return value >= TimeSpan.Zero;
            }
            catch (FormatException)
            {
                return false;
            }
        }
        var match = Short().Match(text);
        if (!match.Success || match.Length == 0)
            return false;
        double Part(string name) => match.Groups[name].Success ? double.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        value = TimeSpan.FromDays(Part("d")) + TimeSpan.FromHours(Part("h")) + TimeSpan.FromMinutes(Part("m")) + TimeSpan.FromSeconds(Part("s"));
        return true;
    }

    /// <summary>The short form: <c>14d</c>, <c>1h30m</c>, <c>0s</c>.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
            return "0s";
        var text = (value < TimeSpan.Zero ? "-" : "")
            + (value.Days != 0 ? $"{Math.Abs(value.Days)}d" : "")
            + (value.Hours != 0 ? $"{Math.Abs(value.Hours)}h" : "")
            + (value.Minutes != 0 ? $"{Math.Abs(value.Minutes)}m" : "")
            + (value.Seconds != 0 ? $"{Math.Abs(value.Seconds)}s" : "");
        return text.Length == 0 ? value.ToString() : text;
    }

    [GeneratedRegex(@"^(?=\d)(?:(?<d>\d+)d)?(?:(?<h>\d+)h)?(?:(?<m>\d+)m)?(?:(?<s>\d+)s)?$")]
    private static partial Regex Short();
}
