using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using NpsTriggers.Dispatch.Email;

namespace NpsTriggers.Tests.Email;

public sealed class EmailComposerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 16, 8, 0, 0, TimeSpan.Zero);
    private static readonly Guid Invitation = Guid.Parse("0194f3a2-0000-7000-8000-00000000abcd");

    private static EmailComposer Composer() => new(
        Options.Create(new EmailOptions { FromAddress = "surveys@acme.test", FromName = "Acme", MessageIdDomain = "nps.acme.test" }),
        new FakeTimeProvider(Now));

    private static SurveyEmail Email(string name = "Anna", int links = 11) => new(
        Invitation, "anna@example.com", name, $"{name}, how was order #1234?", $"Thanks for ordering, {name}.",
        "How likely are you to recommend Acme?", "Not at all likely", "Extremely likely", "en-GB",
        [.. Enumerable.Range(0, links).Select(i => new Uri($"https://nps.acme.test/s/token{i}"))],
        new Uri("https://nps.acme.test/u/unsub"));

    [Fact]
    public void Compose_SurveyEmail_HasTextAndHtmlWithElevenLinksInOrder()
    {
        var message = Composer().Compose(Email());
        message.Body.ShouldBeOfType<MultipartAlternative>();
        message.TextBody.ShouldNotBeNull();
        message.HtmlBody.ShouldNotBeNull();
        for (var score = 0; score <= 10; score++)
        {
            message.TextBody.ShouldContain($"{score}{(score is 0 ? " (Not at all likely)" : score is 10 ? " (Extremely likely)" : "")}: https://nps.acme.test/s/token{score}");
            message.HtmlBody.ShouldContain($"href=\"https://nps.acme.test/s/token{score}\" aria-label=\"{score} out of 10\"");
        }
        message.TextBody.IndexOf("token3", StringComparison.Ordinal).ShouldBeLessThan(message.TextBody.IndexOf("token4", StringComparison.Ordinal));
    }

    [Fact]
    public void Compose_SurveyEmail_SetsSenderSubjectDateAndOneClickUnsubscribe()
    {
        var message = Composer().Compose(Email());
        message.Subject.ShouldBe("Anna, how was order #1234?");
        message.From.Mailboxes.Single().Address.ShouldBe("surveys@acme.test");
        message.To.Mailboxes.Single().Name.ShouldBe("Anna");
        message.Date.ShouldBe(Now);
        message.Headers[HeaderId.ListUnsubscribe].ShouldBe("<https://nps.acme.test/u/unsub>");
        message.Headers[HeaderId.ListUnsubscribePost].ShouldBe("List-Unsubscribe=One-Click");
    }

    [Fact]
    public void Compose_SameInvitationTwice_KeepsTheMessageId()
    {
        var first = Composer().Compose(Email());
        var retry = Composer().Compose(Email());
        first.MessageId.ShouldBe($"{Invitation:N}@nps.acme.test");
        retry.MessageId.ShouldBe(first.MessageId);
    }

    [Fact]
    public void Compose_NameWithMarkup_IsEscapedInHtml()
    {
        var message = Composer().Compose(Email("<script>alert(1)</script> O'Brien & Sons"));
        message.HtmlBody.ShouldNotBeNull().ShouldNotContain("<script>");
        message.HtmlBody.ShouldContain("&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien &amp; Sons");
        message.Subject.ShouldStartWith("<script>");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(12)]
    public void Compose_WrongNumberOfLinks_Throws(int links) =>
        Should.Throw<ArgumentException>(() => Composer().Compose(Email(links: links))).Message.ShouldContain("11 score links");

    [Fact]
    public void Compose_Reminder_ReturnPathNamesInvitationAndReminderAndIsTheSmtpEnvelopeSender()
    {
        var composer = new EmailComposer(
            Options.Create(new EmailOptions { FromAddress = "surveys@acme.test", ReturnPathDomain = "bounces.acme.test" }), new FakeTimeProvider(Now));
        var message = composer.Compose(Email() with { Reminder = 2 });
        message.Headers[HeaderId.ReturnPath].ShouldBe($"<bounce+{Invitation:N}.r2@bounces.acme.test>");
        var (sender, recipients) = SmtpEmailTransport.Envelope(message);
        sender.Address.ShouldBe($"bounce+{Invitation:N}.r2@bounces.acme.test");
        recipients.Select(r => r.Address).ShouldBe(["anna@example.com"]);
    }

    [Fact]
    public void Compose_NoReturnPathDomain_UsesTheFromDomain()
    {
        Composer().Compose(Email()).Headers[HeaderId.ReturnPath].ShouldBe($"<bounce+{Invitation:N}@acme.test>");
    }
}
