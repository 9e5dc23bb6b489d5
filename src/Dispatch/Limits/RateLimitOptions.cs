using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Dispatch.Limits;

/// <summary>A send rate: a steady rate and a burst. Shared by all dispatch replicas (held in PostgreSQL).</summary>
public sealed class RateLimit
{
    /// <summary>Sends per second, across all replicas.</summary>
    [Range(0.001, 100_000)]
    public double PerSecond { get; set; } = 10;

    /// <summary>How many sends may go out at once after a quiet spell.</summary>
    [Range(1, 100_000)]
    public double Burst { get; set; } = 10;
}

/// <summary>Send rates per channel. Section <c>RateLimits</c>.</summary>
public sealed class RateLimitOptions
{
    /// <summary>SMS per sender number. Twilio drains a long code at 1/s, toll-free at 3/s, a short code at 100/s;
    /// queueing more than that ends in 21611/30001 queue-overflow errors.</summary>
    /// <value>Defaults to 1 per second, burst 1 (a long code).</value>
    public RateLimit Sms { get; set; } = new() { PerSecond = 1, Burst = 1 };

    /// <summary>Email per SMTP server.</summary>
    /// <value>Defaults to 100 per second, burst 100.</value>
    public RateLimit Email { get; set; } = new() { PerSecond = 100, Burst = 100 };

    /// <summary>How long every replica stops sending from a Twilio sender after it answered 21611 (its queue is full).</summary>
    /// <value>Defaults to 1 minute.</value>
    public TimeSpan QueueOverflowPause { get; set; } = TimeSpan.FromMinutes(1);
}
