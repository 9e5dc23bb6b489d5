namespace NpsTriggers.Core.Rules;

/// <summary>
/// When sends may go out, in the recipient's local time: some days of the week, between <see cref="From"/>
/// (inclusive) and <see cref="To"/> (exclusive). A send due outside moves to the next opening.
/// </summary>
/// <remarks>
/// Local times are read through <see cref="TimeZoneInfo"/>, so DST and odd offsets (Asia/Kathmandu +05:45,
/// Australia/Lord_Howe's 30-minute DST) follow the tz database. An opening that falls in a DST gap (a local time
/// that does not exist) starts when the clocks resume; in an overlap the earlier instant counts.
/// </remarks>
public sealed record SendWindow(IReadOnlySet<DayOfWeek> Days, TimeOnly From, TimeOnly To)
{
    /// <summary>Every day, all day: no constraint.</summary>
    public static readonly SendWindow Always = new(new HashSet<DayOfWeek>(Enum.GetValues<DayOfWeek>()), TimeOnly.MinValue, TimeOnly.MaxValue);

    public bool IsAlways => Days.Count == 7 && From == TimeOnly.MinValue && To == TimeOnly.MaxValue;

    /// <summary>Whether <paramref name="instant"/> is inside the window in <paramref name="zone"/>.</summary>
    public bool Contains(DateTimeOffset instant, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        var time = TimeOnly.FromDateTime(local.DateTime);
        return Days.Contains(local.DayOfWeek) && time >= From && (time < To || To == TimeOnly.MaxValue);
    }

    /// <summary>The earliest instant at or after <paramref name="due"/> that is inside the window.</summary>
    public DateTimeOffset NextOpening(DateTimeOffset due, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (IsAlways || Contains(due, zone))
            return due;
        var opening = NextOpeningByCalendar(due, zone);
        // Across a DST change the wall clock jumps, and with a backward jump an opening can recur (a repeated
        // hour re-enters the window). Those weeks are rare, so they are settled exactly: inside-ness only
        // changes on whole minutes (windows and tz offsets are whole minutes), and the stretch is at most days.
        if (zone.GetUtcOffset(due) != zone.GetUtcOffset(opening))
        {
            var minute = new DateTimeOffset(due.UtcTicks - due.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero).AddMinutes(1);
            for (; minute < opening; minute = minute.AddMinutes(1))
                if (Contains(minute, zone))
                    return minute;
        }
        return opening;
    }

    private DateTimeOffset NextOpeningByCalendar(DateTimeOffset due, TimeZoneInfo zone)
    {
        var localDate = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(due, zone).DateTime);
        // Eight days always reach the next allowed weekday; one more covers a window emptied by a DST gap.
        for (var day = 0; day <= 9; day++)
        {
            var date = localDate.AddDays(day);
            if (!Days.Contains(date.DayOfWeek))
                continue;
            var opens = Earliest(date.ToDateTime(From), zone);
            var closes = To == TimeOnly.MaxValue ? Earliest(date.AddDays(1).ToDateTime(TimeOnly.MinValue), zone) : Earliest(date.ToDateTime(To), zone);
            if (closes <= opens)
                continue;
            if (due < opens)
                return opens;
            if (due < closes)
                return due;
        }
        throw new InvalidOperationException($"The send window {this} has no opening within 10 days of {due:O} in {zone.Id}.");
    }

    /// <summary>The first instant whose local time in <paramref name="zone"/> is at or after <paramref name="local"/>.</summary>
    private static DateTimeOffset Earliest(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            // In a spring-forward gap no instant shows this local time; the first one after it is where the
            // clocks resume (gaps start and end on whole minutes).
            var resumed = local;
            while (zone.IsInvalidTime(resumed))
                resumed = resumed.AddMinutes(1);
            return new DateTimeOffset(resumed, zone.GetUtcOffset(resumed)).ToUniversalTime();
        }
        if (zone.IsAmbiguousTime(local))
            return zone.GetAmbiguousTimeOffsets(local).Select(o => new DateTimeOffset(local, o)).Min().ToUniversalTime();
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    public override string ToString() =>
        IsAlways ? "always" : $"{string.Join(",", Days.Order().Select(d => d.ToString()[..3]))} {From:HH\\:mm}-{(To == TimeOnly.MaxValue ? "24:00" : To.ToString("HH\\:mm", System.Globalization.CultureInfo.InvariantCulture))}";
}
