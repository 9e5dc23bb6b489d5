using System.Text;
using NpsTriggers.Core.Events;
using NpsTriggers.Triggers.Events;

namespace NpsTriggers.Triggers.Intake;

/// <summary>
/// What a dead-lettered record says of its event, for its decision: the CloudEvent's own attributes when it was read,
/// else its binary-mode <c>ce_source</c>, <c>ce_id</c> and <c>ce_type</c> headers. A value too long to be an index key of
/// <c>decisions</c> (or the very reason it was refused) is left out rather than cut, so no lookup finds a wrong event.
/// </summary>
public static class DeadLetterEvents
{
    public static DeadLetterEvent? Of(EventRecord record, BusinessEvent? read) => read is { } e
        ? Of(e.Source, e.Id, e.Type)
        : Of(record.Header("ce_source"), record.Header("ce_id"), record.Header("ce_type"));

    public static DeadLetterEvent? Of(string? source, string? id, string? type)
    {
        var (s, i, t) = (Key(source), Key(id), Key(type));
        return s is null && i is null && t is null ? null : new DeadLetterEvent(s, i, t);
    }

    private static string? Key(string? text) =>
        string.IsNullOrEmpty(text) || Encoding.UTF8.GetByteCount(text) > CloudEventReader.MaxAttributeBytes ? null : text;
}
