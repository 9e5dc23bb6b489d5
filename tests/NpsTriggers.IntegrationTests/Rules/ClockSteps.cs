using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Rules;

/// <summary>Moves the fake clock to the minute something is due and shows it arrives then, not a minute earlier.</summary>
internal static class ClockSteps
{
    /// <summary>
    /// Sets the clock a minute before <paramref name="at"/> and shows, after a sweep, that <paramref name="arrived"/> (a
    /// count at a stand-in) has not moved; then sets it to <paramref name="at"/> and waits until the count reaches
    /// <paramref name="expected"/>.
    /// </summary>
    public static async Task ArrivesAtAsync(ServiceUnderTest service, DateTimeOffset at, Func<Task<int>> arrived, int expected, string what)
    {
        var before = await arrived();
        before.ShouldBeLessThan(expected, $"{what}: already arrived before {at:u}");
        // FakeTimeProvider keeps the offset it is given, and Npgsql stores only UTC values in timestamptz.
        service.Clock.SetUtcNow((at - TimeSpan.FromMinutes(1)).ToUniversalTime());
        await service.WaitForSweepAsync();
        (await arrived()).ShouldBe(before, $"{what}: nothing more is due before {at:u}");
        service.Clock.SetUtcNow(at.ToUniversalTime());
        await Eventually.Until(arrived, n => n >= expected, TimeSpan.FromSeconds(60), $"{what} at {at:u}");
        await service.WaitForSweepAsync();
        (await arrived()).ShouldBe(expected, $"{what}: exactly this much by {at:u}");
    }

    /// <summary>Messages the SMTP server has received for <paramref name="address"/>.</summary>
    public static async Task<int> MailToAsync(ServiceUnderTest service, string address) =>
        (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count(m => m.To.Mailboxes.Any(b => b.Address == address));
}
