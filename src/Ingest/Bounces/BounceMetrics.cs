using System.Diagnostics.Metrics;

namespace NpsTriggers.Ingest.Bounces;

/// <summary>Counters of the bounce reader (meter <c>NpsTriggers.Bounces</c>).</summary>
public sealed class BounceMetrics
{
    public const string MeterName = "NpsTriggers.Bounces";

    public BounceMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        Messages = meter.CreateCounter<long>("nps.bounces",
            description: "Messages read from the bounce mailbox: kind permanent, transient, complaint, ignored or unreadable; outcome what they did "
                         + "(failed, fell_back_to_sms, reminders_stopped, suppressed, counted, unmatched, ignored, unreadable, duplicate, error)");
        PollFailures = meter.CreateCounter<long>("nps.bounces.poll_failures",
            description: "Polls of the bounce mailbox that failed (IMAP or database unreachable) and will be retried with backoff");
    }

    public Counter<long> Messages { get; }

    public Counter<long> PollFailures { get; }

    public void Read(string kind, string outcome) =>
        Messages.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));
}
