using System.Diagnostics.Metrics;

namespace NpsTriggers.Ingest.Loop;

/// <summary>Counters of outbox deliveries (meter <c>NpsTriggers.Outbox</c>), by destination kind and outcome.</summary>
public sealed class OutboxMetrics
{
    public const string MeterName = "NpsTriggers.Outbox";

    public OutboxMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        Deliveries = meters.Create(MeterName).CreateCounter<long>("nps.outbox.deliveries",
            description: "Outbox delivery attempts: destination kafka or webhook, outcome delivered or failed");
    }

    public Counter<long> Deliveries { get; }

    public void Delivered(string destination, int count = 1) => Add(destination, "delivered", count);

    public void Failed(string destination, int count = 1) => Add(destination, "failed", count);

    private void Add(string destination, string outcome, int count)
    {
        if (count > 0)
            Deliveries.Add(count, new KeyValuePair<string, object?>("destination", destination), new KeyValuePair<string, object?>("outcome", outcome));
    }
}
