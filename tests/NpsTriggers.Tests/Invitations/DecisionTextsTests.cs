using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Tests.Invitations;

public sealed class DecisionTextsTests
{
    [Fact]
    public void WindowDetail_NamesTheOpeningInTheRecipientsZoneAndInUtc()
    {
        // 2026-03-29 is the day London moves to summer time: 09:00 local is 08:00Z.
        var opening = new DateTimeOffset(2026, 3, 30, 8, 0, 0, TimeSpan.Zero);
        DecisionTexts.WindowDetail("Mon,Tue 09:00-11:30", opening, TimeZoneInfo.FindSystemTimeZoneById("Europe/London"))
            .ShouldBe("outside the send window Mon,Tue 09:00-11:30; due again at 2026-03-30 09:00 Europe/London (2026-03-30 08:00Z)");
        DecisionTexts.WindowDetail("Mon 09:00-10:00", opening, TimeZoneInfo.FindSystemTimeZoneById("Asia/Kathmandu"), "reminder 1 of 2")
            .ShouldBe("reminder 1 of 2 outside the send window Mon 09:00-10:00; due again at 2026-03-30 13:45 Asia/Kathmandu (2026-03-30 08:00Z)");
    }

    [Fact]
    public void FailedDetail_SaysWhetherTheRefusalWasPermanentOrTheAttemptsRanOut()
    {
        DecisionTexts.FailedDetail(InvitationChannel.Sms, "Twilio 400 error 21211: invalid", permanent: true, attempts: 1)
            .ShouldBe("sms failed for good: Twilio 400 error 21211: invalid");
        DecisionTexts.FailedDetail(InvitationChannel.Email, "SMTP 451 4.3.0 Try again later", permanent: false, attempts: 8)
            .ShouldBe("email failed, given up after 8 attempts: SMTP 451 4.3.0 Try again later");
    }

    [Fact]
    public void ReminderBlocked_NamesSuppressionThenCancelThenExpiry()
    {
        var now = new DateTimeOffset(2026, 11, 5, 9, 0, 0, TimeSpan.Zero);
        var invitation = new Invitation(Guid.NewGuid(), "/s", "e", "t", "r", "survey", InvitationChannel.Email, "c", "a@example.com", null, null, null, null, "{}",
            TimeSpan.FromDays(3)) { ExpiresAt = now.AddDays(1) };
        DecisionTexts.ReminderBlocked(invitation, now).ShouldBeNull();
        DecisionTexts.ReminderBlocked(invitation with { ExpiresAt = now }, now).ShouldBe("its links expired at 2026-11-05 09:00Z");
        DecisionTexts.ReminderBlocked(invitation with { RememberedCancel = "order.returned /shop r-1", ExpiresAt = now }, now).ShouldBe("cancelled by order.returned /shop r-1");
        DecisionTexts.ReminderBlocked(invitation with { SuppressionEntry = "manual: no, since 2026-11-01 08:00Z", RememberedCancel = "x" }, now)
            .ShouldBe("email address is on the suppression list: manual: no, since 2026-11-01 08:00Z");
    }

    [Theory]
    [InlineData("+15551234567", "+15551234567")]
    [InlineData(" 15551234567", "+15551234567")] // a + decoded from a query string
    [InlineData("+1 (555) 123-4567", "+15551234567")]
    [InlineData("0049 151 1234 5678", "+4915112345678")]
    [InlineData("call me", null)]
    [InlineData("+0123456789", null)]
    [InlineData("+12345", null)]
    [InlineData("", null)]
    public void PhoneLookup_NormalisesToE164_OrRefuses(string input, string? expected) =>
        PhoneLookup.Normalise(input).ShouldBe(expected);
}
