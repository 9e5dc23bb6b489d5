using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Rules;
using NpsTriggers.Triggers.Events;

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
    IntakeStore store,
    InvitationPlanner planner,
    TriggersMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<KafkaIntakeService> logger) : BackgroundService
{
    private readonly KafkaOptions _options = options.Value;
    private readonly IntakeBatch _batch = new();
    private readonly HashSet<(string Source, string Id)> _inBatch = [];

    /// <summary>True while the consumer loop runs; readiness reports it.</summary>
    public bool Running { get; private set; }

    // Consume blocks, so the loop gets its own thread rather than a thread-pool thread.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
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
                Flush(consumer, stoppingToken);
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
            {
                if (_batch.Records > 0)
                    return;
                continue;
            }
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
        var read = CloudEventReader.Read(message.Headers, message.Value, _options.MaxRecordBytes);
        if (read.Event is not { } e)
        {
            DeadLetter(result, read.Reason ?? "unreadable record");
            return;
        }
        if (!_inBatch.Add((e.Source, e.Id)))
        {
            metrics.Duplicates.Add(1);
            return;
        }
        var plan = planner.Add(e, rules.Current, _batch);
        if (!plan.Relevant)
        {
            metrics.Skipped.Add(1);
            return;
        }
        _batch.Inbox.Add(new InboxRow(e.Source, e.Id, e.Type, result.Topic, result.Partition.Value, result.Offset.Value));
    }

    private void DeadLetter(ConsumeResult<byte[]?, byte[]?> result, string reason)
    {
        _batch.DeadLetters.Add(new DeadLetterRow(result.Topic, result.Partition.Value, result.Offset.Value,
            result.Message.Key, KafkaHeadersJson.Write(result.Message.Headers), result.Message.Value, reason));
        LogDeadLettered(result.TopicPartitionOffset.ToString(), reason);
    }

    /// <summary>Commits the pending batch to PostgreSQL, retrying while the database is unreachable, then stores offsets.</summary>
    private void Flush(IConsumer<byte[]?, byte[]?> consumer, CancellationToken cancellationToken)
    {
        if (_batch.Records == 0)
            return;
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                var created = store.CommitAsync(_batch, cancellationToken).GetAwaiter().GetResult();
                metrics.InvitationsCreated.Add(created);
                metrics.DeadLettered.Add(_batch.DeadLetters.Count);
                break;
            }
            catch (Exception e) when (e is NpgsqlException { IsTransient: true } or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                LogRetrying(e, delay.TotalMilliseconds);
                cancellationToken.WaitHandle.WaitOne(delay);
                cancellationToken.ThrowIfCancellationRequested();
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
            }
        }
        foreach (var (partition, next) in _batch.NextOffsets)
        {
            try
            {
                consumer.StoreOffset(new TopicPartitionOffset(partition, next));
            }
            catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_State)
            {
                // The partition moved to another consumer: it will re-read from the last committed offset,
                // and the inbox turns those re-reads into no-ops.
                LogNotOwned(partition.ToString());
            }
        }
        _batch.Clear();
        _inBatch.Clear();
    }

    private IConsumer<byte[]?, byte[]?> Build()
    {
        var config = new ConsumerConfig(_options.Client)
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

    private void FlushOnRebalance(IConsumer<byte[]?, byte[]?> consumer)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Flush(consumer, timeout.Token);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topics} as group {GroupId}")]
    private partial void LogStarted(string topics, string groupId);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The consumer loop failed; stopping the host")]
    private partial void LogFatal(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered {Position}: {Reason}")]
    private partial void LogDeadLettered(string position, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL unavailable; retrying the batch in {DelayMs} ms")]
    private partial void LogRetrying(Exception e, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition} is no longer ours; its new owner re-reads it")]
    private partial void LogNotOwned(string partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka error {Code}: {Reason} (fatal: {Fatal})")]
    private partial void LogKafkaError(string code, string reason, bool fatal);
}
