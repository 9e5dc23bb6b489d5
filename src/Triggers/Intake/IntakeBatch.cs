using Confluent.Kafka;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Triggers.Intake;

/// <summary>The effects of one batch of Kafka records, written to PostgreSQL in one transaction.</summary>
public sealed class IntakeBatch
{
    public List<InboxRow> Inbox { get; } = [];
    public List<Invitation> Invitations { get; } = [];
    public List<DecisionRow> Decisions { get; } = [];
    public List<CancelRow> Cancels { get; } = [];
    public List<DeadLetterRow> DeadLetters { get; } = [];

    /// <summary>The events of <see cref="Inbox"/> by source and id, so a duplicate within the batch is seen before the database.</summary>
    public HashSet<(string Source, string Id)> Seen { get; } = [];

    /// <summary>The next offset to store per partition once the transaction committed.</summary>
    public Dictionary<TopicPartition, Offset> NextOffsets { get; } = [];

    public int Records { get; set; }
    public int Skipped { get; set; }

    public void Track(TopicPartitionOffset position)
    {
        ArgumentNullException.ThrowIfNull(position);
        Records++;
        var next = new Offset(position.Offset.Value + 1);
        if (!NextOffsets.TryGetValue(position.TopicPartition, out var current) || current.Value < next.Value)
            NextOffsets[position.TopicPartition] = next;
    }

    /// <summary>How many records a split can still tell apart: each new event, and each dead letter.</summary>
    public int Units => Inbox.Count + DeadLetters.Count;

    /// <summary>
    /// Splits the batch in two halves of its records, each event keeping its invitations, decisions and cancels, in
    /// read order (the first half holds the earlier events, so a cancel in the second still sees a trigger of the first).
    /// Needs at least two <see cref="Units"/>.
    /// </summary>
    public (IntakeBatch First, IntakeBatch Second) Split()
    {
        if (Units < 2)
            throw new InvalidOperationException("A batch of one record cannot be split.");
        var first = new IntakeBatch();
        var second = new IntakeBatch();
        if (Inbox.Count >= 2)
        {
            var half = Inbox.Count / 2;
            first.Inbox.AddRange(Inbox.Take(half));
            second.Inbox.AddRange(Inbox.Skip(half));
            // Dead letters are rows of their own, independent of the events; they go with the first half.
            first.DeadLetters.AddRange(DeadLetters);
        }
        else if (Inbox.Count == 1)
        {
            first.Inbox.AddRange(Inbox);
            second.DeadLetters.AddRange(DeadLetters);
        }
        else
        {
            var half = DeadLetters.Count / 2;
            first.DeadLetters.AddRange(DeadLetters.Take(half));
            second.DeadLetters.AddRange(DeadLetters.Skip(half));
        }
        var inFirst = first.Inbox.Select(r => (r.Source, r.EventId)).ToHashSet();
        foreach (var row in Invitations)
            (inFirst.Contains((row.EventSource, row.EventId)) ? first : second).Invitations.Add(row);
        foreach (var row in Decisions)
            (inFirst.Contains((row.EventSource, row.EventId)) ? first : second).Decisions.Add(row);
        foreach (var row in Cancels)
            (inFirst.Contains((row.EventSource, row.EventId)) ? first : second).Cancels.Add(row);
        return (first, second);
    }

    public void Clear()
    {
        Inbox.Clear();
        Invitations.Clear();
        Decisions.Clear();
        Cancels.Clear();
        DeadLetters.Clear();
        Seen.Clear();
        NextOffsets.Clear();
        Records = 0;
        Skipped = 0;
    }
}

/// <summary>
/// A new event of the batch. <see cref="Raw"/> is the record it came from, for a dead letter if PostgreSQL refuses it,
/// where the caller has it at hand (the HTTP API); the Kafka consumer reads it back instead (<see cref="KafkaRecordReader"/>).
/// </summary>
public readonly record struct InboxRow(string Source, string EventId, string Type, string Topic, int Partition, long Offset, RawRecord? Raw = null);

/// <summary>A record as it arrived (Kafka key, headers and value, or an HTTP request's event), kept by reference.</summary>
public sealed record RawRecord(byte[]? Key, Headers? Headers, byte[]? Value);

/// <summary>One line of the decision log (docs/RULES.md, "Every decision is explained").</summary>
public sealed record DecisionRow(
    string EventSource,
    string EventId,
    string EventType,
    string Rule,
    string? CustomerId,
    string? Email,
    Guid? InvitationId,
    string Outcome,
    string Detail,
    string? Phone = null);

/// <summary>
/// A cancelling event: pending invitations of <see cref="Rule"/> whose correlation equals <see cref="Value"/> are cancelled,
/// and the cancel is remembered for <see cref="Horizon"/> against triggers that arrive after it.
/// </summary>
public sealed record CancelRow(string Rule, string Value, string EventType, string EventSource, string EventId, string? CustomerId, string? Email,
    TimeSpan Horizon);

/// <summary>
/// A record kept aside with its reason. <see cref="Event"/> is what is known of the event it carried (from the CloudEvent,
/// or its <c>ce_*</c> headers), so its <c>dead_lettered</c> decision is found by <c>?event=</c>.
/// </summary>
public sealed record DeadLetterRow(
    string Topic,
    int Partition,
    long Offset,
    byte[]? Key,
    string HeadersJson,
    byte[]? Payload,
    string Reason,
    DeadLetterEvent? Event = null);

/// <summary>What a dead letter's record says of its event, each part when it says it.</summary>
public sealed record DeadLetterEvent(string? Source, string? Id, string? Type);
