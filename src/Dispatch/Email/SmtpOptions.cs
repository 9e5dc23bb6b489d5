using System.ComponentModel.DataAnnotations;
using MailKit.Security;

namespace NpsTriggers.Dispatch.Email;

/// <summary>Where email goes. Section <c>Smtp</c>. Set <see cref="Host"/> for an SMTP server, or
/// <see cref="PickupDirectory"/> to write <c>.eml</c> files instead (the embedded development mode).</summary>
public sealed class SmtpOptions : IValidatableObject
{
    /// <summary>SMTP server host name.</summary>
    public string? Host { get; set; }

    /// <summary>SMTP port.</summary>
    /// <value>Defaults to 587 (submission).</value>
    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary>Transport security: <c>None</c>, <c>Auto</c>, <c>StartTls</c>, <c>SslOnConnect</c>.</summary>
    /// <value>Defaults to <c>StartTls</c>.</value>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    /// <summary>User name; no authentication when empty.</summary>
    public string? Username { get; set; }

    /// <summary>Password; keep it in a secret.</summary>
    public string? Password { get; set; }

    /// <summary>Network timeout per SMTP command.</summary>
    /// <value>Defaults to 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Long-lived SMTP connections kept per dispatch process. MailKit sends one message at a time per connection, so this
    /// is also the number of emails in flight at once over all send jobs: each send borrows a connection for its one
    /// message and gives it back. Throughput is connections divided by the relay's answer time (60 ms each: 32
    /// connections reach about 530 emails/s); it is also what a process killed mid-send can double at most.
    /// </summary>
    /// <value>Defaults to 32: 200 emails/s up to 160 ms per message. Lower it if the SMTP server limits connections.</value>
    [Range(1, 256)]
    public int MaxConnections { get; set; } = 32;

    /// <summary>A pooled connection idle longer than this is checked with NOOP before reuse.</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan IdleCheckAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the SMTP circuit stays open after repeated failures; sends in that time fail at once and wait
    /// in their invitations' backoff instead of each waiting for a dead server.</summary>
    /// <value>Defaults to 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Write messages as <c>.eml</c> files to this folder instead of sending them.</summary>
    public string? PickupDirectory { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Host) == string.IsNullOrWhiteSpace(PickupDirectory))
            yield return new ValidationResult("Set exactly one of Smtp:Host (send over SMTP) and Smtp:PickupDirectory (write .eml files).",
                [nameof(Host), nameof(PickupDirectory)]);
    }
}
