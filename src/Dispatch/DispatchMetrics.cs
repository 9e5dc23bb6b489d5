using System.Diagnostics.Metrics;

namespace NpsTriggers.Dispatch;

/// <summary>Counters of the dispatcher (meter <c>NpsTriggers.Dispatch</c>).</summary>
public sealed class DispatchMetrics
{
    public const string MeterName = "NpsTriggers.Dispatch";

    public DispatchMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        Sends = meter.CreateCounter<long>("nps.sends", description: "Send attempts by outcome");
        Unconfirmed = meter.CreateHistogram<double>("nps.sends.unconfirmed_window", unit: "ms",
            description: "From the start of a provider call to the commit that records the send: a process killed inside this window sends that message again after the claim lease (docs/ARCHITECTURE.md)");
    }

    public Counter<long> Sends { get; }

    public Histogram<double> Unconfirmed { get; }

    public void Sent(string outcome) => Sends.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Confirmed(TimeSpan window, string channel) =>
        Unconfirmed.Record(window.TotalMilliseconds, new KeyValuePair<string, object?>("channel", channel));
}
