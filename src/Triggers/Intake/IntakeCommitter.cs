using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpsTriggers.Core.Privacy;
using NpsTriggers.Core.Storage;

namespace NpsTriggers.Triggers.Intake;

/// <summary>
/// Commits an intake batch, and when PostgreSQL refuses it for what one record holds (a value it cannot store, a key too
/// long for its index, …) finds that record by splitting the batch in halves, commits every other record once, and
/// dead-letters the culprit with the database's reason. One bad record from one producer never stops a host or stalls
/// a partition. Transient errors (the database away) are not this class's business: they go to the caller, which retries
/// the whole batch, and the inbox makes the halves already committed no-ops.
/// </summary>
public sealed partial class IntakeCommitter(IntakeStore store, ILogger<IntakeCommitter> logger)
{
    /// <summary>A record PostgreSQL refused, dead-lettered at its position with the database's reason.</summary>
    public sealed record Refusal(string Topic, int Partition, long Offset, string Reason);

    /// <summary>What a commit did: invitations created, and the records dead-lettered because the database refused them.</summary>
    public sealed record Result(int Created, IReadOnlyList<Refusal> Refused);

    /// <param name="readRaw">
    /// Reads back the record of an event that has no <see cref="InboxRow.Raw"/> (the Kafka consumer keeps none), for its
    /// dead letter; without it, or when it finds nothing, the dead letter holds the reason alone.
    /// </param>
    public async Task<Result> CommitAsync(IntakeBatch batch, CancellationToken cancellationToken,
        Func<InboxRow, CancellationToken, Task<RawRecord?>>? readRaw = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        try
        {
            return new Result(await store.CommitAsync(batch, cancellationToken), []);
        }
        catch (Exception e) when (IsDataError(e))
        {
            LogSplitting(batch.Units, Reason(e));
            var refused = new List<Refusal>();
            var created = await CommitSplitAsync(batch, e, refused, readRaw, cancellationToken);
            return new Result(created, refused);
        }
    }

    /// <summary>
    /// An error caused by the data of the batch rather than by the database or our SQL: a data exception (SQLSTATE class
    /// 22: text with NUL, a number out of range, …), an integrity violation (23) or a program limit (54: an index entry
    /// over 2704 bytes); or a value Npgsql refused to write before sending it. Anything else (an unknown column, a lost
    /// connection) is not fixed by leaving a record out, and goes to the caller.
    /// </summary>
    public static bool IsDataError(Exception exception) => exception switch
    {
        PostgresException pg => !DatabaseErrors.IsTransient(pg) && pg.SqlState.Length == 5 && pg.SqlState[..2] is "22" or "23" or "54",
        NpgsqlException => false,
        ArgumentException or InvalidCastException or FormatException or OverflowException => true,
        _ => false,
    };

    /// <summary>Commits what it can of a batch that <paramref name="cause"/> refused as a whole.</summary>
    private async Task<int> CommitSplitAsync(IntakeBatch batch, Exception cause, List<Refusal> refused,
        Func<InboxRow, CancellationToken, Task<RawRecord?>>? readRaw, CancellationToken cancellationToken)
    {
        if (batch.Units < 2)
        {
            await DeadLetterAsync(batch, Reason(cause), refused, readRaw, cancellationToken);
            return 0;
        }
        var created = 0;
        var (first, second) = batch.Split();
        foreach (var half in new[] { first, second })
        {
            try
            {
                created += await store.CommitAsync(half, cancellationToken);
            }
            catch (Exception e) when (IsDataError(e))
            {
                created += await CommitSplitAsync(half, e, refused, readRaw, cancellationToken);
            }
        }
        return created;
    }

    /// <summary>The batch is down to the one record the database refuses: keep it as a dead letter with the reason.</summary>
    private async Task DeadLetterAsync(IntakeBatch single, string reason, List<Refusal> refused,
        Func<InboxRow, CancellationToken, Task<RawRecord?>>? readRaw, CancellationToken cancellationToken)
    {
        DeadLetterRow letter;
        if (single.Inbox is [var row])
        {
            var raw = row.Raw ?? (readRaw is null ? null : await readRaw(row, cancellationToken));
            letter = new DeadLetterRow(row.Topic, row.Partition, row.Offset, raw?.Key, KafkaHeadersJson.Write(raw?.Headers),
                raw?.Value, $"PostgreSQL refused the event {row.Source} {row.EventId}: {reason}"
                + (raw is null ? " (the record could not be read back: it is still on its partition at this offset)" : ""),
                DeadLetterEvents.Of(row.Source, row.EventId, row.Type));
        }
        else
        {
            // A dead letter that cannot be stored as it is: keep its bytes and a plain reason, without the headers.
            var original = single.DeadLetters[0];
            letter = original with { HeadersJson = "[]", Reason = $"{StorableText.Escape(original.Reason)} (headers not kept: {reason})" };
        }
        var alone = new IntakeBatch();
        alone.DeadLetters.Add(letter);
        // If even this fails, nothing sensible is left to do with the record: the error goes up and stops the host loudly.
        await store.CommitAsync(alone, cancellationToken);
        refused.Add(new Refusal(letter.Topic, letter.Partition, letter.Offset, letter.Reason));
        LogDeadLettered($"{letter.Topic}/{letter.Partition}@{letter.Offset}", PersonalData.Redact(letter.Reason));
    }

    private static string Reason(Exception e)
    {
        var reason = new StringBuilder();
        if (e is PostgresException pg)
        {
            reason.Append(pg.MessageText);
            if (!string.IsNullOrEmpty(pg.Detail))
                reason.Append(" (").Append(pg.Detail).Append(')');
            if (!string.IsNullOrEmpty(pg.ColumnName))
                reason.Append("; column ").Append(pg.ColumnName);
            if (!string.IsNullOrEmpty(pg.ConstraintName))
                reason.Append("; constraint ").Append(pg.ConstraintName);
            reason.Append("; SQLSTATE ").Append(pg.SqlState);
        }
        else
            reason.Append(e.GetType().Name).Append(": ").Append(e.Message);
        return StorableText.Escape(reason.ToString(), 1000);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL refused an intake batch of {Records} records ({Reason}); splitting it to find the record")]
    private partial void LogSplitting(int records, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered {Position}: {Reason}")]
    private partial void LogDeadLettered(string position, string reason);
}
