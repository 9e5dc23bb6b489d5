using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Dispatch;

/// <summary>Timed sends. Section <c>Dispatch</c>.</summary>
public sealed class DispatchOptions
{
    /// <summary>Hangfire cron (with seconds) of the sweep that claims due invitations.</summary>
    /// <value>Defaults to every 2 seconds, which bounds the delay from due to send.</value>
    [Required]
    public string SweepCron { get; set; } = "*/2 * * * * *";

    /// <summary>Hangfire cron of the run that schedules relational programmes (rules with <c>every:</c>).</summary>
    /// <value>Defaults to hourly, at minute 5.</value>
    [Required]
    public string RelationalCron { get; set; } = "5 * * * *";

    /// <summary>Invitations claimed per sweep query.</summary>
    /// <value>Defaults to 1000.</value>
    [Range(1, 100_000)]
    public int ClaimBatchSize { get; set; } = 1000;

    /// <summary>Invitations per send job; each job reuses one provider connection for all of them.</summary>
    /// <value>Defaults to 100.</value>
    [Range(1, 10_000)]
    public int SendChunkSize { get; set; } = 100;

    /// <summary>
    /// Invitations of a send job readied together: one lease renewal, one recontact transaction and one rate-limit draw
    /// for all of them. Each is still sent and recorded as sent on its own.
    /// </summary>
    /// <value>Defaults to 20.</value>
    [Range(1, 1000)]
    public int SendBatchSize { get; set; } = 20;

    /// <summary>Claims per sweep before it yields to the next tick.</summary>
    /// <value>Defaults to 20 (20,000 invitations per sweep with the default batch size).</value>
    [Range(1, 1000)]
    public int MaxClaimsPerSweep { get; set; } = 20;

    /// <summary>How long a claim lasts; a sender that dies mid-send leaves claims a later sweep takes back after this.</summary>
    /// <value>Defaults to 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Send attempts before an invitation fails for good (transient failures only; permanent ones fail at once).</summary>
    /// <value>Defaults to 8.</value>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Hangfire workers in this process.</summary>
    /// <value>Defaults to 8.</value>
    [Range(1, 256)]
    public int Workers { get; set; } = 8;

    /// <summary>
    /// Diagnostic and baseline setting: each send job makes one provider call at a time, as before issue 21, so a process
    /// has at most <see cref="Workers"/> calls in flight. Off, a job keeps up to <c>Sms:MaxInFlight</c> /
    /// <c>Smtp:MaxConnections</c> calls in flight (shared by all jobs of the process).
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool SequentialSends { get; set; }
}
