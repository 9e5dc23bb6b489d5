using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Core.Kafka;

/// <summary>
/// Section <c>Kafka</c>: the connection every role uses (the consumer of business events, the outbox publisher) and the
/// consumer's own settings.
/// </summary>
public sealed class KafkaOptions
{
    /// <summary>Kafka bootstrap servers, <c>host:port,…</c>.</summary>
    /// <value>Empty by default: the host then starts an embedded broker (librdkafka's mock cluster) and logs its
    /// address. Set it in every real deployment.</value>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Consumer group; every triggers replica joins it, so partitions are the unit of scale-out.</summary>
    /// <value>Defaults to <c>nps-triggers</c>.</value>
    [Required]
    public string GroupId { get; set; } = "nps-triggers";

    /// <summary>Topics carrying business events.</summary>
    /// <value>Defaults to <c>business-events</c>.</value>
    [MinLength(1, ErrorMessage = "Kafka:Topics must name at least one topic.")]
    public string[] Topics { get; set; } = ["business-events"];

    /// <summary>Records larger than this are dead-lettered as oversized.</summary>
    /// <value>Defaults to 262144 (256 KiB).</value>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxRecordBytes { get; set; } = 256 * 1024;

    /// <summary>Records handled in one PostgreSQL transaction.</summary>
    /// <value>Defaults to 2000.</value>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 2000;

    /// <summary>How long to wait for a batch to fill before committing what arrived.</summary>
    /// <value>Defaults to 50 ms.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan BatchMaxWait { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Batches committing to PostgreSQL at once while the next one fills, each on its own connection, so the database
    /// can use more than one core. Offsets are still stored in batch order, and a batch holding cancelling events
    /// waits until every batch before it has committed, so a cancel always sees the invitations it cancels.
    /// </summary>
    /// <value>Defaults to 2.</value>
    [Range(1, 8)]
    public int CommitsInFlight { get; set; } = 2;

    /// <summary>
    /// On shutdown, how long the batch being committed (and the flush of what was read, as the partitions are revoked)
    /// may take before it is rolled back and left to be read again. Keep it below the host's shutdown timeout.
    /// </summary>
    /// <value>Defaults to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>When the embedded broker starts, its address is also written to this file (for scripts and kcat).</summary>
    public string? EmbeddedBootstrapFile { get; set; }

    /// <summary>Extra librdkafka settings (SASL, TLS, …) passed through verbatim, e.g. <c>security.protocol: SASL_SSL</c>.</summary>
    public Dictionary<string, string> Client { get; set; } = [];

    /// <summary>
    /// A copy of <see cref="Client"/> for one client's configuration. Confluent's <c>ClientConfig</c> writes its settings
    /// into the dictionary it is given, so clients built from <see cref="Client"/> itself would share (and race on) one
    /// dictionary, and a consumer would inherit the outbox producer's settings.
    /// </summary>
    public Dictionary<string, string> ClientSettings() => new(Client, StringComparer.Ordinal);
}
