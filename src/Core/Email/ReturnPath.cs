using System.Globalization;
using System.Text.RegularExpressions;

namespace NpsTriggers.Core.Email;

/// <summary>
/// The per-invitation return path (VERP): every survey email is sent with envelope sender
/// <c>bounce+{invitation:N}@{domain}</c> (a reminder's <c>bounce+{invitation:N}.r{n}@{domain}</c>), so the bounce a relay
/// sends later names the invitation in its recipient address and never has to be matched on free text. Dispatch writes
/// it (<c>EmailComposer</c>); the bounce reader in Ingest reads it back. Both share this one format.
/// </summary>
public static partial class ReturnPath
{
    /// <summary>The local part before the <c>+</c>; the relay or MX delivers <c>bounce+*@domain</c> to the bounce mailbox.</summary>
    public const string LocalPart = "bounce";

    public static string Format(Guid invitationId, int reminder, string domain) =>
        reminder == 0
            ? $"{LocalPart}+{invitationId:N}@{domain}"
            : string.Create(CultureInfo.InvariantCulture, $"{LocalPart}+{invitationId:N}.r{reminder}@{domain}");

    /// <summary>Reads an address written by <see cref="Format"/> (any domain, any case; angle brackets allowed).</summary>
    public static bool TryParse(string? address, out Guid invitationId, out int reminder) =>
        TryMatch(VerpPattern(), address, out invitationId, out reminder);

    /// <summary>
    /// Reads a survey email's Message-Id (<c>{invitation:N}@domain</c>, a reminder's <c>{invitation:N}.r{n}@domain</c>), the
    /// fallback when a report names no return path but quotes the original message's headers, as feedback loops do.
    /// </summary>
    public static bool TryParseMessageId(string? messageId, out Guid invitationId, out int reminder) =>
        TryMatch(MessageIdPattern(), messageId, out invitationId, out reminder);

    private static bool TryMatch(Regex pattern, string? text, out Guid invitationId, out int reminder)
    {
        (invitationId, reminder) = (Guid.Empty, 0);
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var match = pattern.Match(text.Trim());
        if (!match.Success || !Guid.TryParseExact(match.Groups["id"].Value, "N", out invitationId))
            return false;
        return !match.Groups["r"].Success || int.TryParse(match.Groups["r"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out reminder);
    }

    [GeneratedRegex(@"^<?bounce\+(?<id>[0-9a-f]{32})(?:\.r(?<r>[0-9]{1,3}))?@[A-Za-z0-9.-]+>?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VerpPattern();

    [GeneratedRegex(@"^<?(?<id>[0-9a-f]{32})(?:\.r(?<r>[0-9]{1,3}))?@[A-Za-z0-9.-]+>?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MessageIdPattern();
}
