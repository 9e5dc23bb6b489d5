using Confluent.Kafka;
using NpsTriggers.Triggers.Events;

namespace NpsTriggers.Triggers.Intake;

/// <summary>The Kafka protocol binding's side of <see cref="EventRecord"/>.</summary>
public static class KafkaEventRecord
{
    /// <summary>A Kafka record's headers and value as the reader takes them (the header bytes are not copied).</summary>
    public static EventRecord From(Headers? headers, byte[]? value)
    {
        if (headers is null || headers.Count == 0)
            return new EventRecord([], value);
        var pairs = new KeyValuePair<string, byte[]?>[headers.Count];
        for (var i = 0; i < pairs.Length; i++)
            pairs[i] = new(headers[i].Key, headers[i].GetValueBytes());
        return new EventRecord(pairs, value);
    }
}
