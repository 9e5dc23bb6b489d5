using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Dispatch.Sms;

/// <summary>How this dispatch process uses the SMS provider (the provider itself is <c>Twilio</c>). Section <c>Sms</c>.</summary>
public sealed class SmsOptions
{
    /// <summary>
    /// Twilio calls in flight at once in this process, over all its send jobs. Throughput is in-flight calls divided by
    /// Twilio's answer time, so this, not <c>Dispatch:Workers</c>, decides whether <c>RateLimits:Sms</c> is reached: at
    /// 250 ms per call, 225 SMS/s needs 57 in flight. It is also what a process killed mid-send can double at most.
    /// </summary>
    /// <value>Defaults to 100: 225 SMS/s (a 10DLC campaign's ceiling) up to 440 ms per call.</value>
    [Range(1, 1000)]
    public int MaxInFlight { get; set; } = 100;
}
