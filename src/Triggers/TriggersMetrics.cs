using System.Diagnostics.Metrics;

namespace NpsTriggers.Triggers;

/// <summary>Counters of the intake (meter <c>NpsTriggers.Triggers</c>).</summary>
public sealed class TriggersMetrics
{
    public const string MeterName = "NpsTriggers.Triggers";

    public TriggersMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        Consumed = meter.CreateCounter<long>("nps.events.consumed", description: "Kafka records read");
        Skipped = meter.CreateCounter<long>("nps.events.skipped", description: "Events no rule fires for (unknown types)");
        Matched = meter.CreateCounter<long>("nps.events.matched", description: "Events at least one rule fired for (scheduled, sampled out, throttled or without contact)");
        DeadLettered = meter.CreateCounter<long>("nps.events.dead_lettered", description: "Records written to dead_letters");
        Duplicates = meter.CreateCounter<long>("nps.events.duplicates", description: "Events already in the inbox");
        InvitationsCreated = meter.CreateCounter<long>("nps.invitations.created", description: "Invitations scheduled");
        meter.CreateObservableGauge("nps.consumer.lag", () => Lag.Select(l => new Measurement<long>(l.Value,
                new KeyValuePair<string, object?>("topic", l.Key.Topic), new KeyValuePair<string, object?>("partition", l.Key.Partition.Value))),
            unit: "{record}", description: "Records in the partition not yet consumed by this process");
    }

    public Counter<long> Consumed { get; }
    public Counter<long> Skipped { get; }
    public Counter<long> Matched { get; }
    public Counter<long> DeadLettered { get; }
    public Counter<long> Duplicates { get; }
    public Counter<long> InvitationsCreated { get; }

    /// <summary>Lag per assigned partition, sampled by the consumer loop.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<Confluent.Kafka.TopicPartition, long> Lag { get; } = new();
}
