using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Telemetry;
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
    IntakeCommitter committer,
    KafkaRecordReader records,
    InvitationPlanner planner,
    TriggersMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<KafkaIntakeService> logger) : BackgroundService
{
    private readonly KafkaOptions _options = options.Value;
    private readonly HashSet<(string Source, string Id)> _inBatch = [];
    // Pipelining: one batch fills from Kafka while up to CommitsInFlight earlier ones commit to PostgreSQL, oldest first.
    private IntakeBatch _batch = new();
    private readonly Stack<IntakeBatch> _spares = new();
    private readonly Queue<(IntakeBatch Batch, Task Commit)> _inFlight = new();
    // Set when a batch's database commit did not complete: offsets are stored in batch order, so nothing read after
    // it may be acknowledged any more, or its records would be skipped by whoever reads the partition next.
    private bool _abandoned;

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
                CompleteFinished(consumer);
                if (_batch.Records > 0)
                {
                    // A batch with cancels commits alone: it sees the invitations of every earlier batch, and every later
                    // batch sees the cancels it remembers. Otherwise wait only for a free slot.
                    while (_inFlight.Count >= (_batch.Cancels.Count > 0 ? 1 : _options.CommitsInFlight)
                           || _inFlight.Count > 0 && _inFlight.Peek().Batch.Cancels.Count > 0)
                        CompleteOldest(consumer);
                    StartCommit(_commitToken);
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
                CompleteInFlight(consumer);
            }
            catch (OperationCanceledException)
            {
                // The grace period ran out: the commit in flight rolled back, and its records are read again after restart.
            }
            catch (Exception e) when (_abandoned)
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
        var (invitations, decisions, cancels) = (_batch.Invitations.Count, _batch.Decisions.Count, _batch.Cancels.Count);
        try
        {
            Plan(result, message);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            // A fault of ours on one record: keep the record with the fault as its reason, and go on with the others.
            _batch.Invitations.RemoveRange(invitations, _batch.Invitations.Count - invitations);
            _batch.Decisions.RemoveRange(decisions, _batch.Decisions.Count - decisions);
            _batch.Cancels.RemoveRange(cancels, _batch.Cancels.Count - cancels);
            LogUnexpected(e, result.TopicPartitionOffset.ToString());
            DeadLetter(result, $"the service failed on this record ({e.GetType().Name}: {e.Message}); please report it");
        }
    }

    private void Plan(ConsumeResult<byte[]?, byte[]?> result, Message<byte[]?, byte[]?> message)
    {
        var read = CloudEventReader.Read(message.Headers, message.Value, _options.MaxRecordBytes);
        if (read.Event is not { } e)
        {
            DeadLetter(result, read.Reason ?? "unreadable record");
            return;
        }
        if (_inBatch.Contains((e.Source, e.Id)))
        {
            metrics.Duplicates.Add(1);
            return;
        }
        var planned = _batch.Invitations.Count;
        var plan = planner.Add(e, rules.Current, _batch);
        if (plan.Refused is { } refused)
        {
            DeadLetter(result, refused);
            return;
        }
        if (!plan.Relevant)
        {
            metrics.Skipped.Add(1);
            return;
        }
        // Only what the inbox records counts as seen: a skipped event leaves no trace, here as in the database.
        _inBatch.Add((e.Source, e.Id));
        metrics.Matched.Add(1);
        Trace(message.Headers, e, planned);
        // The record itself is not kept (see KafkaRecordReader): a refused event's dead letter reads it back.
        _batch.Inbox.Add(new InboxRow(e.Source, e.Id, e.Type, result.Topic, result.Partition.Value, result.Offset.Value));
    }

    /// <summary>
    /// The consume span, child of the producer's <c>traceparent</c> header; the invitations this event scheduled keep
    /// its context so their send continues the trace. Costs nothing while no tracer listens.
    /// </summary>
    private void Trace(Headers? headers, Core.Events.BusinessEvent e, int firstInvitation)
    {
        if (!NpsTelemetry.Source.HasListeners())
            return;
        string? parent = null;
        if (headers is not null && headers.TryGetLastBytes("traceparent", out var bytes))
            parent = System.Text.Encoding.ASCII.GetString(bytes);
        using var activity = NpsTelemetry.StartFrom($"consume {e.Type}", parent, System.Diagnostics.ActivityKind.Consumer);
        if (activity is null)
            return;
        activity.SetTag("messaging.system", "kafka");
        activity.SetTag("cloudevents.event_id", e.Id);
        activity.SetTag("cloudevents.event_source", e.Source);
        activity.SetTag("cloudevents.event_type", e.Type);
        for (var i = firstInvitation; i < _batch.Invitations.Count; i++)
            _batch.Invitations[i] = _batch.Invitations[i] with { TraceParent = activity.Id };
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

    private void DeadLetter(ConsumeResult<byte[]?, byte[]?> result, string reason)
    {
        _batch.DeadLetters.Add(new DeadLetterRow(result.Topic, result.Partition.Value, result.Offset.Value,
            result.Message.Key, KafkaHeadersJson.Write(result.Message.Headers), result.Message.Value, reason));
        LogDeadLettered(result.TopicPartitionOffset.ToString(), Core.Privacy.PersonalData.Redact(reason));
    }

    private void StartCommit(CancellationToken cancellationToken)
    {
        var batch = _batch;
        _inFlight.Enqueue((batch, Task.Run(() => CommitWithRetryAsync(batch, cancellationToken), CancellationToken.None)));
        _batch = _spares.Count > 0 ? _spares.Pop() : new IntakeBatch();
        _inBatch.Clear();
    }

    /// <summary>Waits for every batch in flight, oldest first, storing the offsets of each: only now are its effects durable.</summary>
    private void CompleteInFlight(IConsumer<byte[]?, byte[]?> consumer)
    {
        while (_inFlight.Count > 0)
            CompleteOldest(consumer);
    }

    /// <summary>Settles the batches at the head of the queue whose commits have finished, without waiting.</summary>
    private void CompleteFinished(IConsumer<byte[]?, byte[]?> consumer)
    {
        while (_inFlight.TryPeek(out var oldest) && oldest.Commit.IsCompleted)
            CompleteOldest(consumer);
    }

    /// <summary>
    /// Waits for the oldest batch in flight and stores its offsets. If its commit failed, nothing read after it may be
    /// acknowledged any more: the batches behind it still finish (their effects, if committed, are duplicates the
    /// inbox absorbs when the records are read again) but their offsets are never stored.
    /// </summary>
    private void CompleteOldest(IConsumer<byte[]?, byte[]?> consumer)
    {
        var (batch, commit) = _inFlight.Dequeue();
        try
        {
            if (_abandoned)
            {
                // Only waiting for it to end; whatever it did, its records are read again.
                ((IAsyncResult)commit).AsyncWaitHandle.WaitOne();
                return;
            }
            try
            {
                commit.GetAwaiter().GetResult();
            }
            catch
            {
                Abandon();
                throw;
            }
            StoreOffsets(consumer, batch);
        }
        finally
        {
            batch.Clear();
            _spares.Push(batch);
        }
    }

    /// <summary>Commits a batch to PostgreSQL, retrying with backoff while the database is unreachable.</summary>
    private async Task CommitWithRetryAsync(IntakeBatch batch, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                var committed = await committer.CommitAsync(batch, cancellationToken,
                    (row, token) => records.ReadAsync(row.Topic, row.Partition, row.Offset, token));
                Core.Faults.FailPoints.Reached(Core.Faults.FailPoints.IntakeAfterCommit);
                metrics.InvitationsCreated.Add(committed.Created);
                metrics.DeadLettered.Add(batch.DeadLetters.Count + committed.Refused.Count);
                return;
            }
            catch (Exception e) when ((Core.Storage.DatabaseErrors.IsTransient(e) || e is TimeoutException) && !cancellationToken.IsCancellationRequested)
            {
                LogRetrying(e, delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
            }
        }
    }

    private void StoreOffsets(IConsumer<byte[]?, byte[]?> consumer, IntakeBatch batch)
    {
        foreach (var (partition, next) in batch.NextOffsets)
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

    /// <summary>Before partitions go, commit everything read so far and store its offsets, so their new owner starts after it.</summary>
    private void FlushOnRebalance(IConsumer<byte[]?, byte[]?> consumer)
    {
        CompleteInFlight(consumer);
        if (_abandoned || _batch.Records == 0)
            return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_commitToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        StartCommit(timeout.Token);
        CompleteInFlight(consumer);
    }

    /// <summary>
    /// A batch's commit failed or was cancelled: drop what was read after it too, unacknowledged, and acknowledge nothing
    /// more in this process. The consumer loop is ending; the partitions' next reader starts at the failed batch.
    /// </summary>
    private void Abandon()
    {
        _abandoned = true;
        _batch.Clear();
        _inBatch.Clear();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topics} as group {GroupId}")]
    private partial void LogStarted(string topics, string groupId);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The consumer loop failed; stopping the host")]
    private partial void LogFatal(Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure on record {Position}; it is dead-lettered and intake goes on")]
    private partial void LogUnexpected(Exception e, string position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered {Position}: {Reason}")]
    private partial void LogDeadLettered(string position, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL unavailable; retrying the batch in {DelayMs} ms")]
    private partial void LogRetrying(Exception e, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition} is no longer ours; its new owner re-reads it")]
    private partial void LogNotOwned(string partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The batch in flight was not committed; its records and those read after it are left to be read again")]
    private partial void LogAbandoned(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka error {Code}: {Reason} (fatal: {Fatal})")]
    private partial void LogKafkaError(string code, string reason, bool fatal);
}
