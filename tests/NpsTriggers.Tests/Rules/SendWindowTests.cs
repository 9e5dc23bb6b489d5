using FsCheck;
using FsCheck.Fluent;
using NpsTriggers.Core.Rules;

namespace NpsTriggers.Tests.Rules;

public sealed class SendWindowTests
{
    private static readonly string[] Zones =
    [
        "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham",
        "Asia/Tehran", "Europe/London", "America/St_Johns", "Asia/Kolkata", "Pacific/Kiritimati", "UTC",
    ];

    private static readonly HashSet<DayOfWeek> MonToThu = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday];

    private static TimeZoneInfo Zone(string id) => TimeZoneInfo.FindSystemTimeZoneById(id);

    public sealed record Case(string ZoneId, DateTimeOffset Due, DayOfWeek[] Days, int FromMinute, int ToMinute)
    {
        public SendWindow Window => new(Days.ToHashSet(), TimeOnly.FromTimeSpan(TimeSpan.FromMinutes(FromMinute)),
            ToMinute >= 1440 ? TimeOnly.MaxValue : TimeOnly.FromTimeSpan(TimeSpan.FromMinutes(ToMinute)));

        public override string ToString() => $"{ZoneId} due {Due:O} window {Window}";
    }

    // Instants are drawn from 2026-2027 with extra weight on the weeks around DST changes, where bugs live.
    private static Gen<DateTimeOffset> Instants()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var anywhere = Gen.Choose(0, 2 * 365 * 24 * 60).Select(m => start.AddMinutes(m));
        var transitions = new[] { new DateTime(2026, 3, 8), new DateTime(2026, 3, 29), new DateTime(2026, 4, 5), new DateTime(2026, 9, 27),
            new DateTime(2026, 10, 4), new DateTime(2026, 10, 25), new DateTime(2026, 11, 1) };
        var nearDst = from day in Gen.Elements(transitions)
                      from minute in Gen.Choose(-3 * 24 * 60, 3 * 24 * 60)
                      from second in Gen.Elements(0, 0, 0, 17)
                      select new DateTimeOffset(day, TimeSpan.Zero).AddMinutes(minute).AddSeconds(second);
        return Gen.OneOf(anywhere, nearDst, nearDst);
    }

    private static Gen<Case> Cases() =>
        from zone in Gen.Elements(Zones)
        from due in Instants()
        from days in Gen.SubListOf(Enum.GetValues<DayOfWeek>()).Where(d => d.Count > 0)
        from granularity in Gen.Elements(1, 15, 30, 60)
        from a in Gen.Choose(0, 1440 / granularity)
        from b in Gen.Choose(0, 1440 / granularity)
        where a != b
        select new Case(zone, due, [.. days], Math.Min(a, b) * granularity, Math.Max(a, b) * granularity);

    [Fact]
    public void NextOpening_AnyZoneInstantAndWindow_IsTheEarliestInstantInsideTheWindowNotBeforeDue()
    {
        Prop.ForAll(Cases().ToArbitrary(), c =>
        {
            var zone = Zone(c.ZoneId);
            var window = c.Window;
            var opening = window.NextOpening(c.Due, zone);
            if (opening < c.Due || !window.Contains(opening, zone))
                return false;
            if (opening == c.Due)
                return true;
            // Inside-ness changes only on whole minutes: no earlier minute may be inside.
            var minute = new DateTimeOffset(c.Due.UtcTicks - c.Due.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero).AddMinutes(1);
            for (; minute < opening; minute = minute.AddMinutes(1))
                if (window.Contains(minute, zone))
                    return false;
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    [Fact]
    public void NextOpening_SaturdayInBerlin_MovesToMondayAtNine()
    {
        var window = new SendWindow(MonToThu, new TimeOnly(9, 0), new TimeOnly(11, 30));
        var saturday = new DateTimeOffset(2026, 11, 14, 15, 0, 0, TimeSpan.FromHours(1));
        window.NextOpening(saturday, Zone("Europe/Berlin")).ShouldBe(new DateTimeOffset(2026, 11, 16, 9, 0, 0, TimeSpan.FromHours(1)));
    }

    [Fact]
    public void NextOpening_InsideTheWindow_IsTheDueTime()
    {
        var window = new SendWindow(MonToThu, new TimeOnly(9, 0), new TimeOnly(11, 30));
        var tuesday = new DateTimeOffset(2026, 11, 17, 10, 15, 0, TimeSpan.FromHours(1));
        window.NextOpening(tuesday, Zone("Europe/Berlin")).ShouldBe(tuesday);
    }

    [Fact]
    public void NextOpening_KathmanduOddOffset_OpensAtLocalNine()
    {
        var window = new SendWindow(MonToThu, new TimeOnly(9, 0), new TimeOnly(11, 30));
        var mondayUtcMidnight = new DateTimeOffset(2026, 11, 16, 0, 0, 0, TimeSpan.Zero); // 05:45 in Kathmandu
        window.NextOpening(mondayUtcMidnight, Zone("Asia/Kathmandu"))
            .ShouldBe(new DateTimeOffset(2026, 11, 16, 9, 0, 0, new TimeSpan(5, 45, 0)));
    }

    [Fact]
    public void NextOpening_OpeningInsideSpringForwardGap_StartsWhenClocksResume()
    {
        // Berlin, Sunday 2026-03-29: 02:00 jumps to 03:00. A 02:30 opening does not exist that day.
        var window = new SendWindow(new HashSet<DayOfWeek> { DayOfWeek.Sunday }, new TimeOnly(2, 30), new TimeOnly(4, 0));
        var saturday = new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.FromHours(1));
        window.NextOpening(saturday, Zone("Europe/Berlin")).ShouldBe(new DateTimeOffset(2026, 3, 29, 3, 0, 0, TimeSpan.FromHours(2)));
    }

    [Fact]
    public void NextOpening_RepeatedHourAfterFallBack_ReentersTheWindow()
    {
        // Berlin, Sunday 2026-10-25: 03:00 CEST falls back to 02:00 CET, so 02:00-02:30 happens twice.
        var window = new SendWindow(new HashSet<DayOfWeek> { DayOfWeek.Sunday }, new TimeOnly(2, 0), new TimeOnly(2, 30));
        var afterFirstPass = new DateTimeOffset(2026, 10, 25, 2, 45, 0, TimeSpan.FromHours(2));
        window.NextOpening(afterFirstPass, Zone("Europe/Berlin")).ShouldBe(new DateTimeOffset(2026, 10, 25, 2, 0, 0, TimeSpan.FromHours(1)));
    }
}
