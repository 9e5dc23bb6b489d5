using FsCheck;
using FsCheck.Fluent;
using NpsTriggers.Ingest.Bounces;
using NpsTriggers.Testing;

namespace NpsTriggers.Tests.Email;

public sealed class BounceParserTests
{
    private static readonly Guid Invitation = Guid.Parse("0194f3a2-0000-7000-8000-00000000abcd");

    private static BounceReport Parse(string sample, int reminder = 0)
    {
        using var stream = new MemoryStream(BounceSamples.Load(sample, Invitation, "anna@customer.example", reminder));
        return BounceParser.Parse(stream);
    }

    [Fact]
    public void Parse_PostfixHardBounce_IsPermanentWithStatusForTheInvitation()
    {
        var report = Parse("postfix-hard-bounce.eml");
        report.Kind.ShouldBe(BounceKind.Permanent);
        report.InvitationId.ShouldBe(Invitation);
        report.Reminder.ShouldBe(0);
        report.Status.ShouldBe("5.1.1");
        report.Detail.ShouldContain("User unknown in virtual mailbox table");
    }

    [Fact]
    public void Parse_ReminderBounce_NamesTheReminder()
    {
        var report = Parse("postfix-hard-bounce.eml", reminder: 2);
        report.Kind.ShouldBe(BounceKind.Permanent);
        report.InvitationId.ShouldBe(Invitation);
        report.Reminder.ShouldBe(2);
    }

    [Fact]
    public void Parse_ExchangeDsnWithTextRfc822Headers_IsPermanentWithEnhancedStatus()
    {
        var report = Parse("exchange-rfc822-headers.eml");
        report.Kind.ShouldBe(BounceKind.Permanent);
        report.InvitationId.ShouldBe(Invitation);
        report.Status.ShouldBe("5.1.10");
        report.Detail.ShouldContain("RecipientNotFound");
    }

    [Fact]
    public void Parse_DelayedDsnWithMessageRfc822Headers_IsTransient()
    {
        var report = Parse("delayed-rfc822-headers.eml");
        report.Kind.ShouldBe(BounceKind.Transient);
        report.InvitationId.ShouldBe(Invitation);
        report.Status.ShouldBe("4.4.1");
    }

    [Fact]
    public void Parse_ArfAbuseReportSentToTheLoopAddress_IsComplaintFoundByTheQuotedMessageId()
    {
        var report = Parse("arf-complaint.eml");
        report.Kind.ShouldBe(BounceKind.Complaint);
        report.InvitationId.ShouldBe(Invitation);
        report.Detail.ShouldContain("abuse");
    }

    [Fact]
    public void Parse_OutOfOfficeToTheReturnPath_IsIgnored()
    {
        var report = Parse("out-of-office.eml");
        report.Kind.ShouldBe(BounceKind.Ignored);
        report.Detail.ShouldContain("auto-reply");
    }

    [Fact]
    public void Parse_GarbageBytes_IsUnreadable()
    {
        Parse("garbage.bin").Kind.ShouldBe(BounceKind.Unreadable);
    }

    [Fact]
    public void Parse_PlainMailToTheReturnPath_IsUnreadableNotABounce()
    {
        var text = $"To: bounce+{Invitation:N}@bounces.example.com\r\nFrom: someone@example.org\r\nSubject: hello\r\n\r\nYour mail bounced, I think.\r\n";
        var report = BounceParser.Parse(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(text)));
        report.Kind.ShouldBe(BounceKind.Unreadable);
        report.InvitationId.ShouldBeNull();
    }

    [Fact]
    public void Parse_SuccessDsn_IsIgnored()
    {
        var text = System.Text.Encoding.ASCII.GetString(BounceSamples.Load("postfix-hard-bounce.eml", Invitation, "anna@customer.example"))
            .Replace("Action: failed\r\nStatus: 5.1.1", "Action: delivered\r\nStatus: 2.0.0", StringComparison.Ordinal);
        BounceParser.Parse(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(text))).Kind.ShouldBe(BounceKind.Ignored);
    }

    [Fact]
    public void Key_SameBytesWithoutMessageId_SameHash()
    {
        var garbage = BounceSamples.Load("garbage.bin", Invitation, "x@example.com");
        BounceReader.Key(garbage).ShouldStartWith("sha256:");
        BounceReader.Key(garbage).ShouldBe(BounceReader.Key([.. garbage]));
    }

    [Fact]
    public void Parse_RandomBytes_NeverThrowsAndNeverNamesAnInvitation()
    {
        var bytes = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b));
        Prop.ForAll(bytes.ToArbitrary(), raw =>
        {
            var report = BounceParser.Parse(new MemoryStream(raw));
            return report.InvitationId is null && report.Kind is BounceKind.Unreadable or BounceKind.Ignored;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Parse_SampleCutAnywhereWithAByteFlipped_NeverThrows()
    {
        var sample = BounceSamples.Load("postfix-hard-bounce.eml", Invitation, "anna@customer.example");
        var cuts = from length in Gen.Choose(0, sample.Length)
                   from at in Gen.Choose(0, Math.Max(0, length - 1))
                   from value in Gen.Choose(0, 255)
                   select (length, at, value);
        Prop.ForAll(cuts.ToArbitrary(), c =>
        {
            var raw = sample[..c.length];
            if (raw.Length > 0)
                raw[c.at] = (byte)c.value;
            return Enum.IsDefined(BounceParser.Parse(new MemoryStream(raw)).Kind);
        }).QuickCheckThrowOnFailure();
    }
}
