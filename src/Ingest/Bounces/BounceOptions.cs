using System.ComponentModel.DataAnnotations;
using MailKit.Security;

namespace NpsTriggers.Ingest.Bounces;

/// <summary>
/// The bounce mailbox the ingest role polls over IMAP (docs/EMAIL.md). Section <c>Bounces</c>. Off until <see cref="Host"/>
/// is set; the relay or MX of <c>Email:ReturnPathDomain</c> must deliver <c>bounce+*@</c> that domain to this mailbox, and
/// the feedback loops of mailbox providers should report to it too.
/// </summary>
public sealed class BounceOptions : IValidatableObject
{
    /// <summary>IMAP server host name; empty turns the bounce reader off.</summary>
    public string? Host { get; set; }

    /// <summary>IMAP port.</summary>
    /// <value>Defaults to 993 (IMAP over TLS).</value>
    [Range(1, 65535)]
    public int Port { get; set; } = 993;

    /// <summary>Transport security: <c>None</c>, <c>Auto</c>, <c>StartTls</c>, <c>SslOnConnect</c>.</summary>
    /// <value>Defaults to <c>SslOnConnect</c>.</value>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.SslOnConnect;

    /// <summary>Mailbox user name.</summary>
    public string? Username { get; set; }

    /// <summary>Mailbox password; keep it in a secret.</summary>
    public string? Password { get; set; }

    /// <summary>Folder the reports arrive in.</summary>
    /// <value>Defaults to <c>INBOX</c>.</value>
    [Required]
    public string Folder { get; set; } = "INBOX";

    /// <summary>How often the mailbox is read: a bounce takes effect within about this long after it arrives.</summary>
    /// <value>Defaults to 1 minute.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Messages read per poll at most; the rest wait for the next one.</summary>
    /// <value>Defaults to 500.</value>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>Network timeout per IMAP command.</summary>
    /// <value>Defaults to 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between attempts while the IMAP server or the database is unreachable (the backoff doubles up to it).</summary>
    /// <value>Defaults to 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && (string.IsNullOrWhiteSpace(Username) || string.IsNullOrEmpty(Password)))
            yield return new ValidationResult("Bounces:Host is set, so Bounces:Username and Bounces:Password must be too (the mailbox's login).",
                [nameof(Username), nameof(Password)]);
    }
}
