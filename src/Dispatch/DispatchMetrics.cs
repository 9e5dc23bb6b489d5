using System.Diagnostics.Metrics;

namespace NpsTriggers.Dispatch;

/// <summary>Counters of the dispatcher (meter <c>NpsTriggers.Dispatch</c>).</summary>
public sealed class DispatchMetrics
{
    public const string MeterName = "NpsTriggers.Dispatch";

    public DispatchMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        Sends = meters.Create(MeterName).CreateCounter<long>("nps.sends", description: "Send attempts by outcome");
    }

    public Counter<long> Sends { get; }

    public void Sent(string outcome) => Sends.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
