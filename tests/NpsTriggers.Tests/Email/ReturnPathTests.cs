using NpsTriggers.Core.Email;

namespace NpsTriggers.Tests.Email;

public sealed class ReturnPathTests
{
    private static readonly Guid Invitation = Guid.Parse("0194f3a2-0000-7000-8000-00000000abcd");
    private const string Hex = "0194f3a2000070008000" + "00000000abcd";

    [Theory]
    [InlineData(0, "bounce+" + Hex + "@bounces.acme.test")]
    [InlineData(3, "bounce+" + Hex + ".r3@bounces.acme.test")]
    public void Format_Reminder_RoundTripsThroughTryParse(int reminder, string expected)
    {
        var address = ReturnPath.Format(Invitation, reminder, "bounces.acme.test");
        address.ShouldBe(expected);
        ReturnPath.TryParse(address, out var id, out var parsedReminder).ShouldBeTrue();
        id.ShouldBe(Invitation);
        parsedReminder.ShouldBe(reminder);
    }

    [Theory]
    [InlineData("<BOUNCE+0194F3A2000070008000" + "00000000ABCD@Bounces.Acme.Test>")]
    [InlineData("bounce+" + Hex + "@x")]
    public void TryParse_AnyCaseAndBrackets_FindsTheInvitation(string address)
    {
        ReturnPath.TryParse(address, out var id, out _).ShouldBeTrue();
        id.ShouldBe(Invitation);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("surveys@acme.test")]
    [InlineData("bounce+not-an-id@acme.test")]
    [InlineData("bounce+" + Hex + "@acme.test trailing")]
    public void TryParse_OtherAddresses_AreNotReturnPaths(string? address) =>
        ReturnPath.TryParse(address, out _, out _).ShouldBeFalse();

    [Fact]
    public void TryParseMessageId_ReminderMessageId_FindsInvitationAndReminder()
    {
        ReturnPath.TryParseMessageId("<" + Hex + ".r1@nps.acme.test>", out var id, out var reminder).ShouldBeTrue();
        (id, reminder).ShouldBe((Invitation, 1));
    }
}
