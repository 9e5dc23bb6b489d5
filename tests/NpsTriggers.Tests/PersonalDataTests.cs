using NpsTriggers.Core.Privacy;

namespace NpsTriggers.Tests;

public class PersonalDataTests
{
    [Theory]
    [InlineData("SMTP 550 MailboxUnavailable: 5.1.1 <anna.o'neil@example.co.uk>: Recipient address rejected", "SMTP 550 MailboxUnavailable: 5.1.1 <[email]>: Recipient address rejected")]
    [InlineData("Twilio 400 error 21211: The 'To' number +4915112345678 is not a valid phone number.", "Twilio 400 error 21211: The 'To' number [phone] is not a valid phone number.")]
    [InlineData("'+49 151 1234 5678' is not a valid phone number", "'[phone]' is not a valid phone number")]
    [InlineData("data.recipient: email bob@shop.example or phone is required", "data.recipient: email [email] or phone is required")]
    public void Redact_AddressesAndNumbers_AreReplaced(string text, string expected) =>
        PersonalData.Redact(text).ShouldBe(expected);

    [Theory]
    [InlineData("SMTP connection to 127.0.0.1:2525 failed: Connection refused")]
    [InlineData("Invitation 0b9c… will be retried in 45 s")]
    [InlineData("Twilio 429 error 20429: Too Many Requests")]
    [InlineData("")]
    public void Redact_TextWithoutPersonalData_IsUnchanged(string text) =>
        PersonalData.Redact(text).ShouldBe(text);
}
