using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Core.Rules;

namespace NpsTriggers.Triggers.Intake;

/// <summary>
/// The consumer loop: reads business events in batches, writes each batch's effects in one PostgreSQL
/// transaction, and only then stores the batch's offsets, so a crash at any point re-reads records whose
/// effects may already exist, which the inbox makes harmless (at-least-once reads, exactly-once effects).
/// </summary>
public sealed partial class KafkaIntakeService(
    IOptions<KafkaOptions> options,
    KafkaBootstrap bootstrap,
    RulesProvider rules,
    IntakePipeline pipeline,
    KafkaRecordReader records,
    TriggersMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<KafkaIntakeService> logger) : BackgroundService
{
    private readonly KafkaOptions _options = options.Value;
    // Pipelining: one batch fills from Kafka while up to CommitsInFlight earlier ones commit to PostgreSQL, oldest first.
    private IntakeBatch _batch = new();
    private readonly BatchCommitQueue _commits = new(pipeline, records, logger);

    /// <summary>True while the consumer loop runs; readiness reports it.</summary>
    public bool Running { get; private set; }

    // Consume blocks, so the loop gets its own thread rather than a thread-pool thread.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private long _lagSampledAt;
    private CancellationToken _commitToken;

    private void Run(CancellationToken stoppingToken)
    {
        // A stop lets the commit in flight (and the flush of what was read, as partitions are revoked on close) finish
        // rather than rolling it back, within a grace period; after it, they are cancelled and simply read again.
        using var commits = new CancellationTokenSource();
        using var onStop = stoppingToken.Register(() => commits.CancelAfter(_options.ShutdownGrace));
        _commitToken = commits.Token;
        using var consumer = Build();
        // Configuration binding appends to a default array, so the same topic can appear twice; Subscribe rejects that.
        consumer.Subscribe(_options.Topics.Distinct(StringComparer.Ordinal));
        Running = true;
        LogStarted(string.Join(",", _options.Topics), _options.GroupId);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Fill(consumer, stoppingToken);
                // Offsets are stored in batch order, as soon as a batch and every one before it have committed.
                _commits.CompleteFinished(consumer);
                if (_batch.Records > 0)
                {
                    // A batch with cancels commits alone: it sees the invitations of every earlier batch, and every later
                    // batch sees the cancels it remembers. Otherwise wait only for a free slot.
                    while (_commits.Count >= (_batch.Cancels.Count > 0 ? 1 : _options.CommitsInFlight) || _commits.OldestHasCancels)
                        _commits.CompleteOldest(consumer);
                    _batch = _commits.Start(_batch, _commitToken);
                }
                SampleLag(consumer);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Never carry on past a failure we do not understand: stop the host loudly so it restarts.
            LogFatal(e);
            lifetime.StopApplication();
            throw;
        }
        finally
        {
            Running = false;
            try
            {
                _commits.CompleteAll(consumer);
            }
            catch (OperationCanceledException)
            {
                // The grace period ran out: the commit in flight rolled back, and its records are read again after restart.
            }
            catch (Exception e) when (_commits.Abandoned)
            {
                LogAbandoned(e);
            }
            // Close revokes the partitions, which flushes the batch being filled unless an earlier one was abandoned.
            consumer.Close();
        }
    }

    private void Fill(IConsumer<byte[]?, byte[]?> consumer, CancellationToken stoppingToken)
    {
        // Batching waits are about I/O, not business time, so they use the real clock even under a fake TimeProvider.
        var waited = Stopwatch.StartNew();
        while (_batch.Records < _options.BatchSize && !stoppingToken.IsCancellationRequested)
        {
            var remaining = _batch.Records == 0 ? TimeSpan.FromMilliseconds(250) : _options.BatchMaxWait - waited.Elapsed;
            if (remaining <= TimeSpan.Zero)
                return;
            var result = consumer.Consume(remaining);
            if (result is null)
                return; // idle or batch window over: let the loop settle the batch in flight
            if (result.IsPartitionEOF)
                continue;
            if (_batch.Records == 0)
                waited.Restart();
            Handle(result);
        }
    }

    private void Handle(ConsumeResult<byte[]?, byte[]?> result)
    {
        _batch.Track(result.TopicPartitionOffset);
        metrics.Consumed.Add(1);
        var message = result.Message;
        // The record itself is not kept in the inbox row (see KafkaRecordReader): a refused event's dead letter reads it back.
        pipeline.Add(_batch, rules.Current, KafkaEventRecord.From(message.Headers, message.Value), result.Topic, result.Partition.Value,
            result.Offset.Value, new RawRecord(message.Key, message.Headers, message.Value), keepRaw: false);
    }

    /// <summary>
    /// Consumer lag per assigned partition (high watermark − position), every second, from the client's cached
    /// watermarks: no broker round trip on the consume thread.
    /// </summary>
    private void SampleLag(IConsumer<byte[]?, byte[]?> consumer)
    {
        if (Stopwatch.GetElapsedTime(_lagSampledAt) < TimeSpan.FromSeconds(1))
            return;
        _lagSampledAt = Stopwatch.GetTimestamp();
        var assigned = consumer.Assignment;
        foreach (var gone in metrics.Lag.Keys.Except(assigned).ToList())
            metrics.Lag.TryRemove(gone, out _);
        foreach (var partition in assigned)
        {
            var high = consumer.GetWatermarkOffsets(partition).High;
            var position = consumer.Position(partition);
            if (high.Value >= 0)
                metrics.Lag[partition] = Math.Max(0, high.Value - Math.Max(0, position.Value));
        }
    }

    private IConsumer<byte[]?, byte[]?> Build()
    {
        var config = new ConsumerConfig(_options.ClientSettings())
        {
            BootstrapServers = bootstrap.BootstrapServers,
            GroupId = _options.GroupId,
            EnableAutoCommit = true,
            AutoCommitIntervalMs = 1000,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
        };
        return new ConsumerBuilder<byte[]?, byte[]?>(config)
            // Revocation and loss are delivered inside Consume on this thread: commit what is pending for
            // them before they go, so their new owner starts after it.
            .SetPartitionsRevokedHandler((c, _) => FlushOnRebalance(c))
            .SetPartitionsLostHandler((c, _) => FlushOnRebalance(c))
            .SetErrorHandler((_, error) => LogKafkaError(error.Code.ToString(), error.Reason, error.IsFatal))
            .Build();
    }

    /// <summary>Before partitions go, commit everything read so far and store its offsets, so their new owner starts after it.</summary>
    private void FlushOnRebalance(IConsumer<byte[]?, byte[]?> consumer)
    {
        _commits.CompleteAll(consumer);
        if (_commits.Abandoned)
        {
            // Drop what was read after the failed batch, unacknowledged: the partitions' next reader starts at the failed batch.
            _batch.Clear();
            return;
        }
        if (_batch.Records == 0)
            return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_commitToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        _batch = _commits.Start(_batch, timeout.Token);
        _commits.CompleteAll(consumer);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topics} as group {GroupId}")]
    private partial void LogStarted(string topics, string groupId);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The consumer loop failed; stopping the host")]
    private partial void LogFatal(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The batch in flight was not committed; its records and those read after it are left to be read again")]
    private partial void LogAbandoned(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka error {Code}: {Reason} (fatal: {Fatal})")]
    private partial void LogKafkaError(string code, string reason, bool fatal);
}
