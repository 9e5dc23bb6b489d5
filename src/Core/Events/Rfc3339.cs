namespace NpsTriggers.Core.Events;

/// <summary>
/// Reads an RFC 3339 <c>date-time</c> (https://www.rfc-editor.org/rfc/rfc3339#section-5.6) into a UTC instant.
/// Everything the grammar allows is accepted: any offset from <c>-23:59</c> to <c>+23:59</c> (<c>-00:00</c> too),
/// a fraction of any length (kept to the 100 ns of a tick, the rest truncated), lower-case <c>t</c> and <c>z</c>,
/// and a leap second (<c>23:59:60</c>), read as the last tick of second 59 so the date and minute stay the same.
/// Nothing else is: no missing offset, no space for <c>T</c>, no date alone, no <c>.</c> without digits.
/// </summary>
/// <remarks>
/// Written here because the CloudEvents SDK's reader (and <c>DateTimeOffset.Parse</c>) refuse lower-case
/// <c>t</c>/<c>z</c> and leap seconds, which RFC 3339 allows, and accept forms it does not. The result is always
/// UTC (offset zero): Npgsql writes only such values to <c>timestamptz</c>.
/// </remarks>
public static class Rfc3339
{
    /// <summary>The instant, in UTC; or false with what is wrong, for a dead-letter reason.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset utc, out string error)
    {
        utc = default;
        error = "";
        // yyyy-mm-ddThh:mm:ss at least, then an optional fraction, then the offset.
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || text[10] is not ('T' or 't') || text[13] != ':' || text[16] != ':'
            || !Digits(text[..4], out var year) || !Digits(text.Slice(5, 2), out var month) || !Digits(text.Slice(8, 2), out var day)
            || !Digits(text.Slice(11, 2), out var hour) || !Digits(text.Slice(14, 2), out var minute) || !Digits(text.Slice(17, 2), out var second))
        {
            error = "not an RFC 3339 date-time (yyyy-mm-ddThh:mm:ss[.fraction] followed by Z or ±hh:mm)";
            return false;
        }
        var rest = text[19..];
        long fractionTicks = 0;
        if (rest.Length > 0 && rest[0] == '.')
        {
            var digits = 1;
            while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
                digits++;
            if (digits == 1)
            {
                error = "a '.' in the seconds must be followed by digits";
                return false;
            }
            // The first seven digits are ticks (100 ns); finer digits cannot be kept and are dropped.
            for (var i = 1; i <= 7; i++)
                fractionTicks = fractionTicks * 10 + (i < digits ? rest[i] - '0' : 0);
            rest = rest[digits..];
        }
        TimeSpan offset;
        if (rest is ['Z'] or ['z'])
            offset = TimeSpan.Zero;
        else if (rest.Length == 6 && rest[0] is '+' or '-' && rest[3] == ':' && Digits(rest.Slice(1, 2), out var offsetHours)
                 && Digits(rest.Slice(4, 2), out var offsetMinutes) && offsetHours <= 23 && offsetMinutes <= 59)
            offset = new TimeSpan(offsetHours, offsetMinutes, 0) * (rest[0] == '-' ? -1 : 1);
        else
        {
            error = "the time offset must be Z or ±hh:mm";
            return false;
        }
        if (month is < 1 or > 12 || day < 1 || year < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), Math.Clamp(month, 1, 12)))
        {
            error = year < 1 ? "year 0000 cannot be stored (years 0001 to 9999)" : "no such date";
            return false;
        }
        if (hour > 23 || minute > 59 || second > 60)
        {
            error = "no such time of day";
            return false;
        }
        var leap = second == 60;
        var local = new DateTime(year, month, day, hour, minute, leap ? 59 : second, DateTimeKind.Unspecified).Ticks
                    + (leap ? TimeSpan.TicksPerSecond - 1 : fractionTicks);
        var ticks = local - offset.Ticks;
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            error = "lies outside the years 0001 to 9999 in UTC, which cannot be stored";
            return false;
        }
        utc = new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
                return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
