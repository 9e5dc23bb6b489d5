using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using NpsTriggers.Core.Faults;
using NpsTriggers.Core.Storage;
using Polly;

namespace NpsTriggers.Triggers.Intake;

/// <summary>
/// The consumer's batches between "read" and "acknowledged": each commits to PostgreSQL on its own task (up to
/// <c>Kafka:CommitsInFlight</c> at once) while the next one fills, and their offsets are stored strictly in batch order,
/// once a batch and every one before it have committed. Used from the consume thread only.
/// </summary>
internal sealed partial class BatchCommitQueue(IntakePipeline pipeline, KafkaRecordReader records, ILogger logger)
{
    private readonly Queue<(IntakeBatch Batch, Task Commit)> _inFlight = new();
    private readonly Stack<IntakeBatch> _spares = new();

    // Transient database errors (the database away) retry the whole batch with backoff; the inbox makes a retry of a
    // batch that did commit harmless. A timeout of ours counts as transient here: the batch is simply tried again.
    private readonly ResiliencePipeline _retry = DatabaseRetry.Create(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10),
        alsoTransient: e => e is TimeoutException, onRetry: (e, delay, _) => LogRetrying(logger, e, delay.TotalMilliseconds));

    /// <summary>Set once a batch's commit did not complete: nothing read after it may be acknowledged any more.</summary>
    public bool Abandoned { get; private set; }

    public int Count => _inFlight.Count;

    /// <summary>Whether the oldest batch in flight holds cancels (it must commit before anything after it starts).</summary>
    public bool OldestHasCancels => _inFlight.TryPeek(out var oldest) && oldest.Batch.Cancels.Count > 0;

    /// <summary>Starts committing <paramref name="batch"/> and hands back an empty batch to fill next.</summary>
    public IntakeBatch Start(IntakeBatch batch, CancellationToken cancellationToken)
    {
        _inFlight.Enqueue((batch, Task.Run(() => CommitAsync(batch, cancellationToken), CancellationToken.None)));
        return _spares.Count > 0 ? _spares.Pop() : new IntakeBatch();
    }

    /// <summary>Waits for every batch in flight, oldest first, storing the offsets of each: only now are its effects durable.</summary>
    public void CompleteAll(IConsumer<byte[]?, byte[]?> consumer)
    {
        while (_inFlight.Count > 0)
            CompleteOldest(consumer);
    }

    /// <summary>Settles the batches at the head of the queue whose commits have finished, without waiting.</summary>
    public void CompleteFinished(IConsumer<byte[]?, byte[]?> consumer)
    {
        while (_inFlight.TryPeek(out var oldest) && oldest.Commit.IsCompleted)
            CompleteOldest(consumer);
    }

    /// <summary>
    /// Waits for the oldest batch in flight and stores its offsets. If its commit failed, nothing read after it may be
    /// acknowledged any more: the batches behind it still finish (their effects, if committed, are duplicates the
    /// inbox absorbs when the records are read again) but their offsets are never stored.
    /// </summary>
    public void CompleteOldest(IConsumer<byte[]?, byte[]?> consumer)
    {
        var (batch, commit) = _inFlight.Dequeue();
        try
        {
            if (Abandoned)
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
                Abandoned = true;
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

    private async Task CommitAsync(IntakeBatch batch, CancellationToken cancellationToken)
    {
        await _retry.ExecuteAsync(async token =>
            await pipeline.CommitAsync(batch, token, (row, t) => records.ReadAsync(row.Topic, row.Partition, row.Offset, t)), cancellationToken);
        FailPoints.Reached(FailPoints.IntakeAfterCommit);
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
                LogNotOwned(logger, partition.ToString());
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL unavailable; retrying the batch in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, Exception e, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition} is no longer ours; its new owner re-reads it")]
    private static partial void LogNotOwned(ILogger logger, string partition);
}
