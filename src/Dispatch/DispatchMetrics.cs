using System.Diagnostics.Metrics;
using NpsTriggers.Core.Invitations;

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
        ProviderDuration = meter.CreateHistogram<double>("nps.provider.duration", unit: "s",
            description: "Provider calls (SMTP send, Twilio Messages API) by outcome: accepted, rejected (permanent), failed (transient)");
        meter.CreateObservableGauge("nps.circuit.state", () => Circuits.Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>("provider", c.Key))),
            description: "Provider circuit breakers: 0 closed, 1 half-open, 2 open");
        Unconfirmed = meter.CreateHistogram<double>("nps.sends.unconfirmed_window", unit: "ms",
            description: "From the start of a provider call to the commit that records the send: a process killed inside this window sends that message again after the claim lease (docs/ARCHITECTURE.md)");
    }

    public Counter<long> Sends { get; }

    public Histogram<double> Unconfirmed { get; }

    public Histogram<double> ProviderDuration { get; }

    /// <summary>Circuit state per provider pipeline ("smtp", "twilio"), set by the breakers' callbacks.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, int> Circuits { get; } = new();

    public ValueTask Circuit(string provider, int state)
    {
        Circuits[provider] = state;
        return ValueTask.CompletedTask;
    }

    public void Sent(string outcome, InvitationChannel channel) =>
        Sends.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("channel", channel.Column()));

    /// <summary>One provider call (SMTP or Twilio API), from <paramref name="started"/> (a Stopwatch timestamp).</summary>
    public void ProviderCall(string provider, string outcome, long started) =>
        ProviderDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("outcome", outcome));

    public void Confirmed(TimeSpan window, InvitationChannel channel) =>
        Unconfirmed.Record(window.TotalMilliseconds, new KeyValuePair<string, object?>("channel", channel.Column()));
}
