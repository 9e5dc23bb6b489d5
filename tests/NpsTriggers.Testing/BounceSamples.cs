using System.Text;

namespace NpsTriggers.Testing;

/// <summary>
/// The sample bounce-mailbox messages in tests/NpsTriggers.IntegrationTests/Email/Bounces (written after RFC 3464, 5965,
/// 6522 and 3834), filled in for one invitation: <c>{{VERP}}</c> its return path, <c>{{MESSAGE_ID}}</c> its Message-Id,
/// <c>{{RECIPIENT}}</c> the customer's address, <c>{{REPORT}}</c> a fresh token making the report's own Message-Id unique.
/// </summary>
public static class BounceSamples
{
    public static string PathOf(string name) => RepoRoot.Combine("tests", "NpsTriggers.IntegrationTests", "Email", "Bounces", name);

    public static byte[] Load(string name, Guid invitationId, string recipient, int reminder = 0, string domain = "bounces.example.com",
        string messageIdDomain = "nps.localhost")
    {
        var raw = File.ReadAllBytes(PathOf(name));
        if (!name.EndsWith(".eml", StringComparison.Ordinal))
            return raw;
        var suffix = reminder == 0 ? "" : $".r{reminder}";
        var text = Encoding.ASCII.GetString(raw)
            .Replace("{{VERP}}", $"bounce+{invitationId:N}{suffix}@{domain}", StringComparison.Ordinal)
            .Replace("{{MESSAGE_ID}}", $"{invitationId:N}{suffix}@{messageIdDomain}", StringComparison.Ordinal)
            .Replace("{{RECIPIENT}}", recipient, StringComparison.Ordinal)
            .Replace("{{REPORT}}", Guid.NewGuid().ToString("N"), StringComparison.Ordinal);
        return Encoding.ASCII.GetBytes(text);
    }
}
