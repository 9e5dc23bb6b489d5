using System.Buffers;
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
/// Publishes <c>nps.response.recorded</c> as structured-mode CloudEvents (docs/EVENTS.md) from two sources each round:
/// <list type="bullet">
/// <item>the response event stream (<see cref="ResponseEventStream"/>): lock its cursor in a transaction held open while
/// the producer awaits its acks, produce the events after it, and move the cursor past them in that transaction;</item>
/// <item>the outbox's Kafka rows (erasure announcements, and stream events the broker refused, parked there so that
/// they retry on their own): lock a batch (SKIP LOCKED), produce, mark the acknowledged ones delivered and put the others
/// back with backoff in that transaction.</item>
/// </list>
/// The producer is idempotent (<c>enable.idempotence</c>), so librdkafka's own retries do not duplicate; the stable
/// event id covers the remaining window (ack received, process died before the cursor moved or the row was marked).
/// </summary>
public sealed partial class OutboxPublisher(
    OutboxStore store, ResponseEventStream stream, KafkaBootstrap bootstrap, IOptions<KafkaOptions> kafka, IOptions<OutboxOptions> options,
    OutboxMetrics metrics, ILogger<OutboxPublisher> logger) : BackgroundService
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(0.5);

    /// <summary>
    /// Rounds in which none of the stream's events at its head was acknowledged before they are parked as outbox rows
    /// and the stream moves on: a broker that is down holds the stream (nothing is lost, and the events keep their
    /// order), but an event the broker keeps refusing on its own does not hold it for ever.
    /// </summary>
    internal const int StalledRoundsBeforeParking = 3;

    // PostgreSQL ended a session that sat in its transaction for longer than Outbox:Lease (idle_in_transaction_session_timeout).
    private const string IdleInTransactionTimeout = "25P03";

    private readonly record struct Round(int Found, int Failed, string? Reason, bool Fatal, bool MarksLost)
    {
        public static readonly Round Empty = new(0, 0, null, false, false);
    }

    private int _stalledRounds;

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
                Round streamed, rows;
                try
                {
                    streamed = await PublishStreamAsync(producer, retry, settings, stoppingToken);
                    rows = await PublishRowsAsync(producer, retry, settings, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // Anything else (an event that cannot be built, a bug): the round's transactions roll back, so the
                    // cursor and the rows stay where they were, and the loop backs off and tries again. The host keeps
                    // running; a stream held this way shows in readiness (OutboxHealthCheck) and in this log.
                    LogRoundFailed(e);
                    await Task.Delay(OutboxStore.Backoff(++failures, settings.MaxBackoff), stoppingToken);
                    continue;
                }
                if (streamed.Found + rows.Found == 0)
                {
                    failures = 0;
                    // Right after a round that found events, replies are still arriving: wait only the gather interval. A
                    // full poll interval there let half a second of replies gather and then go out in one burst of
                    // reads and produces, which held up the replies being recorded at the time (docs/BENCHMARKS.md).
                    await Task.Delay(flowing && settings.GatherInterval > TimeSpan.Zero ? settings.GatherInterval : settings.PollInterval, stoppingToken);
                    flowing = false;
                    continue;
                }
                flowing = true;
                if (streamed.MarksLost || rows.MarksLost)
                {
                    await Task.Delay(OutboxStore.Backoff(++failures, settings.MaxBackoff), stoppingToken);
                    continue;
                }
                if (streamed.Failed + rows.Failed == 0)
                {
                    failures = 0;
                    if (streamed.Found < settings.BatchSize && rows.Found < settings.BatchSize && settings.GatherInterval > TimeSpan.Zero)
                        await Task.Delay(settings.GatherInterval, stoppingToken);
                    continue;
                }

                LogPublishFailed(streamed.Failed + rows.Failed, streamed.Found + rows.Found, streamed.Reason ?? rows.Reason ?? "");
                if (streamed.Fatal || rows.Fatal)
                {
                    // A fatal idempotent-producer error (e.g. an out-of-order sequence) poisons the instance: start a new one.
                    producer.Dispose();
                    producer = Build();
                }
                // While Kafka is down, the whole loop backs off rather than reading the next batch at once.
                await Task.Delay(OutboxStore.Backoff(++failures, settings.MaxBackoff), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the cursor and locked rows stay as they were, and go out again from there.
        }
        finally
        {
            producer.Flush(TimeSpan.FromSeconds(5));
            producer.Dispose();
        }
    }

    /// <summary>One round of the response event stream: publish the events after the cursor and move it past them.</summary>
    private async Task<Round> PublishStreamAsync(IProducer<byte[], byte[]> producer, Polly.ResiliencePipeline retry, OutboxOptions settings,
        CancellationToken stoppingToken)
    {
        await using var batch = await retry.ExecuteAsync(
            async token => await stream.LockAsync(settings.BatchSize, settings.Lease, token), stoppingToken);
        if (batch is null || batch.Events.Count == 0)
            return Round.Empty;
        var events = batch.Events;
        var results = await PublishAsync(producer, events, settings);
        var failed = results.Where(r => r.Error is not null).ToList();
        var delivered = events.Count - failed.Count;
        List<(OutboxRow, string, TimeSpan)> parked = [];
        if (failed.Count > 0)
        {
            // Some acknowledged: the broker is there and refuses these ones; park them, and the stream moves on. None
            // acknowledged: the broker is likely away; hold the stream (the events stay in order) for a few rounds.
            if (delivered == 0 && ++_stalledRounds < StalledRoundsBeforeParking)
            {
                metrics.Failed("kafka", failed.Count);
                return new Round(events.Count, failed.Count, failed[0].Error!.Reason, failed.Any(f => f.Error!.IsFatal), false);
            }
            parked = [.. failed.Select(f => (f.Row, f.Error!.Reason, OutboxStore.Backoff(1, settings.MaxBackoff)))];
            LogParked(parked.Count, failed[0].Error!.Reason);
        }
        _stalledRounds = 0;
        if (delivered > 0)
            Core.Faults.FailPoints.Reached(Core.Faults.FailPoints.OutboxAfterPublish);
        // Not cancellable: events the broker acknowledged should be passed even while stopping, or they go out again. If
        // the move cannot commit, the cursor stays and the events are published again (at-least-once, same ids).
        if (!await CompleteAsync(() => batch.CompleteAsync(events.Count, parked, CancellationToken.None), events.Count))
            return new Round(events.Count, 0, null, false, true);
        metrics.Delivered("kafka", delivered);
        metrics.Failed("kafka", failed.Count);
        return new Round(events.Count, failed.Count, failed.Count > 0 ? failed[0].Error!.Reason : null, failed.Any(f => f.Error!.IsFatal), false);
    }

    /// <summary>One round of the outbox's Kafka rows: lock a batch, publish it, mark what was acknowledged.</summary>
    private async Task<Round> PublishRowsAsync(IProducer<byte[], byte[]> producer, Polly.ResiliencePipeline retry, OutboxOptions settings,
        CancellationToken stoppingToken)
    {
        // The rows are locked, not claimed: the transaction that locked them stays open while the producer awaits its
        // acks, and marks them in the same transaction (OutboxStore.LockAsync).
        await using var locked = await retry.ExecuteAsync(
            async token => await store.LockAsync(ResponseOutbox.KafkaDestination, settings.BatchSize, settings.Lease, token), stoppingToken);
        var rows = locked.Rows;
        if (rows.Count == 0)
            return Round.Empty;
        var results = await PublishAsync(producer, rows, settings);
        var delivered = results.Where(r => r.Error is null).Select(r => r.Row.Id).ToList();
        var failed = results.Where(r => r.Error is not null).ToList();
        if (delivered.Count > 0)
            Core.Faults.FailPoints.Reached(Core.Faults.FailPoints.OutboxAfterPublish);
        // Not cancellable, as for the stream. If the marks cannot commit, nothing is marked and the locks are gone with
        // the transaction: the rows are still pending and are published again after the loop's backoff.
        if (!await CompleteAsync(() => locked.CompleteAsync(delivered,
                [.. failed.Select(f => (f.Row.Id, f.Error!.Reason, OutboxStore.Backoff(f.Row.Attempts + 1, settings.MaxBackoff)))],
                CancellationToken.None), rows.Count))
            return new Round(rows.Count, 0, null, false, true);
        metrics.Delivered("kafka", delivered.Count);
        metrics.Failed("kafka", failed.Count);
        return new Round(rows.Count, failed.Count, failed.Count > 0 ? failed[0].Error!.Reason : null, failed.Any(f => f.Error!.IsFatal), false);
    }

    // Runs a completion; false (logged) when it could not commit: PostgreSQL went away, or the lease ran out and
    // PostgreSQL ended the session.
    private async Task<bool> CompleteAsync(Func<Task> complete, int count)
    {
        try
        {
            await complete();
            return true;
        }
        catch (Exception e) when (DatabaseErrors.IsTransient(e) || e is Npgsql.PostgresException { SqlState: IdleInTransactionTimeout })
        {
            LogMarksLost(e, count);
            return false;
        }
    }

    private static async Task<List<(OutboxRow Row, Error? Error)>> PublishAsync(
        IProducer<byte[], byte[]> producer, IReadOnlyList<OutboxRow> rows, OutboxOptions settings)
    {
        // Produce the whole batch before awaiting any ack, so the batch costs one round of broker latency, not one per row.
        var sends = rows.Select(row => producer.ProduceAsync(settings.Topic, ToMessage(row, settings.Source))).ToArray();
        var results = new List<(OutboxRow, Error?)>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            try
            {
                var result = await sends[i];
                results.Add((rows[i], result.Status == PersistenceStatus.Persisted
                    ? null
                    : new Error(ErrorCode.Unknown, $"not persisted ({result.Status})")));
            }
            catch (ProduceException<byte[], byte[]> e)
            {
                results.Add((rows[i], e.Error));
            }
        }
        return results;
    }

    /// <summary>The structured-mode CloudEvent of one outbox row (CloudEvents Kafka binding, section 3.2).</summary>
    public static Message<byte[], byte[]> ToMessage(OutboxRow row, string source)
    {
        ArgumentNullException.ThrowIfNull(row);
        // One buffer and writer per thread, reset for each message (this method never awaits), so a message costs its
        // own bytes and nothing else (issue 21).
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(2048);
        buffer.ResetWrittenCount();
        var json = t_writer ??= new Utf8JsonWriter(buffer);
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteString("specversion", "1.0");
        json.WriteString("id", row.EventId);
        json.WriteString("source", source);
        json.WriteString("type", row.EventType);
        json.WriteString("subject", row.PartitionKey);
        json.WriteString("time", row.CreatedAt.ToUniversalTime());
        json.WriteString("datacontenttype", "application/json");
        json.WritePropertyName("data");
        // The payload is PostgreSQL's own rendering of a json or jsonb value as UTF-8, valid JSON by construction: not
        // parsed or transcoded again.
        json.WriteRawValue(row.Payload, skipInputValidation: true);
        json.WriteEndObject();
        json.Flush();
        return new Message<byte[], byte[]>
        {
            // Keyed by invitation: every version of one response lands on one partition, in order.
            Key = Encoding.UTF8.GetBytes(row.PartitionKey),
            Value = buffer.WrittenSpan.ToArray(),
            // librdkafka copies a header's bytes when the message is produced, so one array serves every message.
            Headers = new Headers { { "content-type", ContentType } },
        };
    }

    private static readonly byte[] ContentType = "application/cloudevents+json; charset=utf-8"u8.ToArray();

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

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
            // Only whether each message was persisted is read back (PublishAsync): a delivery report that also carries
            // the key, value, timestamp and headers costs the poll thread a copy of each per message (issue 21).
            DeliveryReportFields = "status",
        };
        return new ProducerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, message) => LogKafka(message.Level.ToString(), message.Facility, message.Message))
            .SetErrorHandler((_, error) => LogKafkaError(error.Code, error.Reason))
            .Build();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox: a publishing round failed; nothing moved, trying again with backoff")]
    private partial void LogRoundFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox: PostgreSQL unavailable, backing off")]
    private partial void LogDatabaseUnavailable(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox: {Count} response events the broker refused were parked as outbox rows, to retry with backoff: {Reason}")]
    private partial void LogParked(int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox: the marks of {Rows} published events did not commit; they will be published again")]
    private partial void LogMarksLost(Exception exception, int rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox: {Failed} of {Claimed} events not published, retrying with backoff: {Reason}")]
    private partial void LogPublishFailed(int failed, int claimed, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "librdkafka {Level} {Facility}: {Message}")]
    private partial void LogKafka(string level, string facility, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox producer: {Code} {Reason}")]
    private partial void LogKafkaError(ErrorCode code, string reason);
}
