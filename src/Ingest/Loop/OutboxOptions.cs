using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Ingest.Loop;

/// <summary>Publishing response changes from the outbox to Kafka. Section <c>Outbox</c>.</summary>
public sealed class OutboxOptions : IValidatableObject
{
    /// <summary>Whether response changes are published to Kafka at all; alerts and follow-ups work either way.</summary>
    /// <value>Defaults to true. When false, no Kafka outbox rows are written and the publisher does not start.</value>
    public bool Publish { get; set; } = true;

    /// <summary>Topic the <c>nps.response.recorded</c> CloudEvents go to.</summary>
    /// <value>Defaults to <c>nps-responses</c>.</value>
    [Required]
    public string Topic { get; set; } = "nps-responses";

    /// <summary>The CloudEvents <c>source</c> of the events this service publishes.</summary>
    /// <value>Defaults to <c>/nps-triggers/responses</c>.</value>
    [Required]
    public string Source { get; set; } = "/nps-triggers/responses";

    /// <summary>Rows claimed per round.</summary>
    /// <value>Defaults to 200.</value>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 200;

    /// <summary>How long the publisher sleeps when the outbox is empty (when a claim comes back empty right after one that found rows, it waits only <see cref="GatherInterval"/>).</summary>
    /// <value>Defaults to 500 ms: a response reaches Kafka within about that.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long the publisher waits after a round that claimed fewer than <see cref="BatchSize"/> rows, so that under a
    /// steady stream of replies each claim takes many rows. A claim's cost is mostly its index scan past rows delivered
    /// since the last vacuum, not the rows it takes, so claiming as often as rows arrive costs more than the rows do.
    /// </summary>
    /// <value>Defaults to 100 ms; 0 claims again at once.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan GatherInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long librdkafka keeps retrying one message (<c>message.timeout.ms</c>) before the row goes back to pending.</summary>
    /// <value>Defaults to 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a claim lasts (alerts: rows a dead sender left in <c>sending</c> are claimed again after it), and how long the
    /// Kafka publisher's transaction may sit idle holding its locked rows before PostgreSQL ends it and frees them.
    /// </summary>
    /// <value>Defaults to 2 minutes; must exceed <see cref="DeliveryTimeout"/>, or a live publisher's rows would be claimed twice.</value>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The longest wait between attempts while a destination is down (the backoff doubles up to it).</summary>
    /// <value>Defaults to 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long delivered rows are kept (for "was this published?" questions) before they are deleted.</summary>
    /// <value>Defaults to 7 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long an <c>Idempotency-Key</c> of <c>POST /api/responses</c> is remembered. A retry after that is not replayed; it
    /// finds the invitation answered and gets 409, so nothing is recorded twice either way.</summary>
    /// <value>Defaults to 24 hours.</value>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan IdempotencyKeyRetention { get; set; } = TimeSpan.FromHours(24);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Lease <= DeliveryTimeout)
            yield return new ValidationResult("Outbox:Lease must be longer than Outbox:DeliveryTimeout, or a message still in flight is claimed twice.",
                [nameof(Lease), nameof(DeliveryTimeout)]);
    }
}
