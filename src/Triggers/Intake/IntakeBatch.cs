using Confluent.Kafka;

namespace NpsTriggers.Triggers.Intake;

/// <summary>The effects of one batch of Kafka records, written to PostgreSQL in one transaction.</summary>
public sealed class IntakeBatch
{
    public List<InboxRow> Inbox { get; } = [];
    public List<InvitationRow> Invitations { get; } = [];
    public List<DecisionRow> Decisions { get; } = [];
    public List<CancelRow> Cancels { get; } = [];
    public List<DeadLetterRow> DeadLetters { get; } = [];

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

    public void Clear()
    {
        Inbox.Clear();
        Invitations.Clear();
        Decisions.Clear();
        Cancels.Clear();
        DeadLetters.Clear();
        NextOffsets.Clear();
        Records = 0;
        Skipped = 0;
    }
}

public readonly record struct InboxRow(string Source, string EventId, string Type, string Topic, int Partition, long Offset);

public sealed record InvitationRow(
    Guid Id,
    string EventSource,
    string EventId,
    string EventType,
    string Rule,
    string Survey,
    string Channel,
    string? CustomerId,
    string? Email,
    string? Phone,
    string? Name,
    string? Locale,
    string? TimeZone,
    string AttributesJson,
    DateTimeOffset DueAt,
    TimeSpan ValidFor,
    string? Correlation = null,
    int Reminders = 0,
    TimeSpan? ReminderAfter = null)
{
    /// <summary>The consume span's W3C trace context, when tracing is on.</summary>
    public string? TraceParent { get; init; }
}

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
    string Detail);

/// <summary>A cancelling event: pending invitations of <see cref="Rule"/> whose correlation equals <see cref="Value"/> are cancelled.</summary>
public sealed record CancelRow(string Rule, string Value, string EventType, string EventSource, string EventId, string? CustomerId, string? Email);

public sealed record DeadLetterRow(
    string Topic,
    int Partition,
    long Offset,
    byte[]? Key,
    string HeadersJson,
    byte[]? Payload,
    string Reason);
