using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Core.Storage;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// Publishes the outbox's Kafka rows as structured-mode CloudEvents (<c>nps.response.recorded</c>, docs/EVENTS.md):
/// lock a batch (SKIP LOCKED, in a transaction held open while the producer awaits its acks), produce every row, mark
/// the acknowledged ones delivered and put the others back with backoff in that transaction. The producer is idempotent (<c>enable.idempotence</c>), so librdkafka's own retries
/// do not duplicate; the row's stable event id covers the remaining window (ack received, process died before
/// the row was marked).
/// </summary>
public sealed partial class OutboxPublisher(
    OutboxStore store, KafkaBootstrap bootstrap, IOptions<KafkaOptions> kafka, IOptions<OutboxOptions> options,
    OutboxMetrics metrics, ILogger<OutboxPublisher> logger) : BackgroundService
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(0.5);

    // PostgreSQL ended a session that sat in its transaction for longer than Outbox:Lease (idle_in_transaction_session_timeout).
    private const string IdleInTransactionTimeout = "25P03";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Start() runs ExecuteAsync up to its first await on the host's thread; yield so the host keeps starting.
        await Task.Yield();
        var settings = options.Value;
        if (!settings.Publish)
            return; // Before Build(): no producer, and no embedded broker started for nothing.
        // While PostgreSQL is away, claims and marks back off from half a second, doubling up to Outbox:MaxBackoff.
        var retry = DatabaseRetry.Create(FirstBackoff, settings.MaxBackoff, onRetry: (e, _, _) => LogDatabaseUnavailable(e));
        var producer = Build();
        var failures = 0;
        var flowing = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // The rows are locked, not claimed: the transaction that locked them stays open while the producer awaits its
                // acks, and marks them in the same transaction (OutboxStore.LockAsync).
                await using var locked = await retry.ExecuteAsync(
                    async token => await store.LockAsync(ResponseOutbox.KafkaDestination, settings.BatchSize, settings.Lease, token), stoppingToken);
                var rows = locked.Rows;
                if (rows.Count == 0)
                {
                    await locked.DisposeAsync();
                    failures = 0;
                    // Right after a round that found rows, replies are still arriving: wait only the gather interval. A
                    // full poll interval there let half a second of replies gather and then go out in one burst of
                    // claims and produces, which held up the replies being recorded at the time (docs/BENCHMARKS.md).
                    await Task.Delay(flowing && settings.GatherInterval > TimeSpan.Zero ? settings.GatherInterval : settings.PollInterval, stoppingToken);
                    flowing = false;
                    continue;
                }
                flowing = true;

                var (delivered, failed) = await PublishAsync(producer, rows, settings);
                if (delivered.Count > 0)
                    Core.Faults.FailPoints.Reached(Core.Faults.FailPoints.OutboxAfterPublish);
                // Not cancellable: events the broker acknowledged should be marked even while stopping, or they go out
                // again. If the marks cannot commit (PostgreSQL went away, or the lease ran out and PostgreSQL ended the
                // session), nothing is marked and the locks are gone with the transaction: the rows are still pending and
                // are published again (at-least-once; the event id stays the same), after the loop's backoff.
                try
                {
                    await locked.CompleteAsync(delivered,
                        [.. failed.Select(f => (f.Row.Id, f.Error.Reason, OutboxStore.Backoff(f.Row.Attempts + 1, settings.MaxBackoff)))],
                        CancellationToken.None);
                }
                catch (Exception e) when (DatabaseErrors.IsTransient(e) || e is Npgsql.PostgresException { SqlState: IdleInTransactionTimeout })
                {
                    LogMarksLost(e, rows.Count);
                    await Task.Delay(OutboxStore.Backoff(++failures, settings.MaxBackoff), stoppingToken);
                    continue;
                }
                await locked.DisposeAsync();
                metrics.Delivered("kafka", delivered.Count);
                metrics.Failed("kafka", failed.Count);
                if (failed.Count == 0)
                {
                    failures = 0;
                    if (rows.Count < settings.BatchSize && settings.GatherInterval > TimeSpan.Zero)
                        await Task.Delay(settings.GatherInterval, stoppingToken);
                    continue;
                }

                LogPublishFailed(failed.Count, rows.Count, failed[0].Error.Reason);
                if (failed.Any(f => f.Error.IsFatal))
                {
                    // A fatal idempotent-producer error (e.g. an out-of-order sequence) poisons the instance: start a new one.
                    producer.Dispose();
                    producer = Build();
                }
                // While Kafka is down, the whole loop backs off rather than claiming the next batch at once.
                await Task.Delay(OutboxStore.Backoff(++failures, settings.MaxBackoff), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: claimed rows go back to the pool when their lease runs out.
        }
        finally
        {
            producer.Flush(TimeSpan.FromSeconds(5));
            producer.Dispose();
        }
    }

    private static async Task<(List<long> Delivered, List<(OutboxRow Row, Error Error)> Failed)> PublishAsync(
        IProducer<byte[], byte[]> producer, IReadOnlyList<OutboxRow> rows, OutboxOptions settings)
    {
        // Produce the whole batch before awaiting any ack, so the batch costs one round of broker latency, not one per row.
        var sends = rows.Select(row => producer.ProduceAsync(settings.Topic, ToMessage(row, settings.Source))).ToArray();
        var delivered = new List<long>(rows.Count);
        var failed = new List<(OutboxRow, Error)>();
        for (var i = 0; i < rows.Count; i++)
        {
            try
            {
                var result = await sends[i];
                if (result.Status == PersistenceStatus.Persisted)
                    delivered.Add(rows[i].Id);
                else
                    failed.Add((rows[i], new Error(ErrorCode.Unknown, $"not persisted ({result.Status})")));
            }
            catch (ProduceException<byte[], byte[]> e)
            {
                failed.Add((rows[i], e.Error));
            }
        }
        return (delivered, failed);
    }

    /// <summary>The structured-mode CloudEvent of one outbox row (CloudEvents Kafka binding, section 3.2).</summary>
    public static Message<byte[], byte[]> ToMessage(OutboxRow row, string source)
    {
        ArgumentNullException.ThrowIfNull(row);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("specversion", "1.0");
            json.WriteString("id", row.EventId);
            json.WriteString("source", source);
            json.WriteString("type", row.EventType);
            json.WriteString("subject", row.PartitionKey);
            json.WriteString("time", row.CreatedAt.ToUniversalTime());
            json.WriteString("datacontenttype", "application/json");
            json.WritePropertyName("data");
            json.WriteRawValue(row.Payload);
            json.WriteEndObject();
        }
        return new Message<byte[], byte[]>
        {
            // Keyed by invitation: every version of one response lands on one partition, in order.
            Key = Encoding.UTF8.GetBytes(row.PartitionKey),
            Value = buffer.ToArray(),
            Headers = new Headers { { "content-type", "application/cloudevents+json; charset=utf-8"u8.ToArray() } },
        };
    }

    private IProducer<byte[], byte[]> Build()
    {
        var config = new ProducerConfig(kafka.Value.ClientSettings())
        {
            BootstrapServers = bootstrap.BootstrapServers,
            ClientId = "nps-outbox",
            EnableIdempotence = true,
            Acks = Acks.All,
            MessageTimeoutMs = (int)options.Value.DeliveryTimeout.TotalMilliseconds,
            LingerMs = 5,
        };
        return new ProducerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, message) => LogKafka(message.Level.ToString(), message.Facility, message.Message))
            .SetErrorHandler((_, error) => LogKafkaError(error.Code, error.Reason))
            .Build();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox: PostgreSQL unavailable, backing off")]
    private partial void LogDatabaseUnavailable(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox: the marks of {Rows} published events did not commit; they will be published again")]
    private partial void LogMarksLost(Exception exception, int rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox: {Failed} of {Claimed} events not published, retrying with backoff: {Reason}")]
    private partial void LogPublishFailed(int failed, int claimed, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "librdkafka {Level} {Facility}: {Message}")]
    private partial void LogKafka(string level, string facility, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox producer: {Code} {Reason}")]
    private partial void LogKafkaError(ErrorCode code, string reason);
}
