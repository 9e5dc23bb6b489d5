using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using NpsTriggers.Core.Events;

namespace NpsTriggers.Tests.Events;

public sealed class Rfc3339Tests
{
    // The examples of RFC 3339 section 5.8 itself, with the instants the RFC says they denote.
    [Theory]
    [InlineData("1985-04-12T23:20:50.52Z", "1985-04-12T23:20:50.5200000Z")]
    [InlineData("1996-12-19T16:39:57-08:00", "1996-12-20T00:39:57.0000000Z")]
    [InlineData("1990-12-31T23:59:60Z", "1990-12-31T23:59:59.9999999Z")]
    [InlineData("1990-12-31T15:59:60-08:00", "1990-12-31T23:59:59.9999999Z")]
    [InlineData("1937-01-01T12:00:27.87+00:20", "1937-01-01T11:40:27.8700000Z")]
    // The forms the issue names: every offset, nine fraction digits, lower case.
    [InlineData("2026-11-01T10:00:00+08:00", "2026-11-01T02:00:00.0000000Z")]
    [InlineData("2026-11-01T10:00:00-03:30", "2026-11-01T13:30:00.0000000Z")]
    [InlineData("2026-11-01T10:00:00+14:00", "2026-10-31T20:00:00.0000000Z")]
    [InlineData("2026-11-01t10:00:00.123456789z", "2026-11-01T10:00:00.1234567Z")]
    [InlineData("2026-11-01T10:00:00-00:00", "2026-11-01T10:00:00.0000000Z")]
    [InlineData("0001-01-01T08:00:00+08:00", "0001-01-01T00:00:00.0000000Z")]
    public void TryParse_RfcExamplesAndEveryOffset_GiveTheUtcInstant(string text, string utc)
    {
        Rfc3339.TryParse(text, out var parsed, out var error).ShouldBeTrue(error);
        parsed.Offset.ShouldBe(TimeSpan.Zero);
        parsed.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture).ShouldBe(utc);
    }

    [Theory]
    [InlineData("2026-11-01", "not an RFC 3339 date-time")]
    [InlineData("2026-11-01T10:00:00", "not an RFC 3339 date-time")]
    [InlineData("2026-11-01 10:00:00Z", "not an RFC 3339 date-time")]
    [InlineData("2026-11-01T10:00:00.Z", "followed by digits")]
    [InlineData("2026-11-01T10:00:00+0800", "Z or ±hh:mm")]
    [InlineData("2026-11-01T10:00:00+24:00", "Z or ±hh:mm")]
    [InlineData("2026-02-30T10:00:00Z", "no such date")]
    [InlineData("2026-11-01T24:00:00Z", "no such time of day")]
    [InlineData("0000-01-01T00:00:00Z", "year 0000")]
    [InlineData("0001-01-01T00:00:00+08:00", "outside the years 0001 to 9999")]
    [InlineData("9999-12-31T23:59:59-08:00", "outside the years 0001 to 9999")]
    [InlineData("２０２６-11-01T10:00:00Z", "not an RFC 3339 date-time")]
    public void TryParse_WhatTheGrammarOrTheStoreRefuses_SaysWhy(string text, string why)
    {
        Rfc3339.TryParse(text, out _, out var error).ShouldBeFalse();
        error.ShouldContain(why);
    }

    /// <summary>
    /// Any valid date-time, written with any offset, fraction length and letter case, reads as the instant .NET's own
    /// calendar arithmetic gives for the same fields (an oracle independent of the parser).
    /// </summary>
    [Fact]
    public void TryParse_AnyGeneratedDateTime_AgreesWithTheCalendar()
    {
        var cases = from year in Gen.Choose(2, 9998)
                    from month in Gen.Choose(1, 12)
                    from day in Gen.Choose(1, DateTime.DaysInMonth(2001, month))
                    from hour in Gen.Choose(0, 23)
                    from minute in Gen.Choose(0, 59)
                    from second in Gen.Choose(0, 59)
                    from digits in Gen.Choose(0, 9)
                    from fraction in Gen.Choose(0, 999_999_999)
                    from offset in Gen.Choose(-(23 * 60 + 59), 23 * 60 + 59)
                    from zulu in Gen.Elements(true, false)
                    from lower in Gen.Elements(true, false)
                    select (year, month, day, hour, minute, second, digits, fraction, offset: zulu ? 0 : offset, zulu, lower);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var fractionText = c.digits == 0 ? "" : "." + c.fraction.ToString("D9", CultureInfo.InvariantCulture)[..c.digits];
            var sign = c.offset < 0 ? '-' : '+';
            var zone = c.zulu ? (c.lower ? "z" : "Z") : $"{sign}{Math.Abs(c.offset) / 60:D2}:{Math.Abs(c.offset) % 60:D2}";
            var text = string.Create(CultureInfo.InvariantCulture,
                $"{c.year:D4}-{c.month:D2}-{c.day:D2}{(c.lower ? 't' : 'T')}{c.hour:D2}:{c.minute:D2}:{c.second:D2}{fractionText}{zone}");
            var ticks = c.digits == 0 ? 0 : long.Parse(c.fraction.ToString("D9", CultureInfo.InvariantCulture)[..Math.Min(c.digits, 7)].PadRight(7, '0'), CultureInfo.InvariantCulture);
            // DateTimeOffset takes offsets up to ±14 h only; RFC 3339 allows ±23:59, so subtract the offset by hand.
            var expected = new DateTimeOffset(new DateTime(c.year, c.month, c.day, c.hour, c.minute, c.second, DateTimeKind.Utc).AddTicks(ticks) - TimeSpan.FromMinutes(c.offset));
            return Rfc3339.TryParse(text, out var parsed, out _) && parsed == expected && parsed.Offset == TimeSpan.Zero;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }

    [Fact]
    public void TryParse_AnyString_AnswersWithoutThrowing()
    {
        Prop.ForAll(ArbMap.Default.GeneratorFor<string>().Where(s => s is not null).ToArbitrary(), text =>
        {
            var ok = Rfc3339.TryParse(text, out var parsed, out var error);
            return ok ? parsed.Offset == TimeSpan.Zero : error.Length > 0;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }
}
