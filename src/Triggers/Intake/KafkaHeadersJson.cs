using System.Buffers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;

namespace NpsTriggers.Triggers.Intake;

/// <summary>
/// Kafka headers as a JSON array of <c>{"key", "value"}</c> for dead letters (<c>jsonb</c>). A value that is not UTF-8,
/// or holds a NUL (which <c>jsonb</c> refuses), is base64 with <c>"base64": true</c>; a key with a NUL is shown escaped.
/// </summary>
public static class KafkaHeadersJson
{
    private static readonly UTF8Encoding Strict = new(false, true);

    public static string Write(Headers? headers)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var header in headers ?? [])
            {
                writer.WriteStartObject();
                writer.WriteString("key", Core.Storage.StorableText.Escape(header.Key, 1000));
                var bytes = header.GetValueBytes();
                if (bytes is null)
                    writer.WriteNull("value");
                else
                {
                    if (bytes.AsSpan().IndexOf((byte)0) < 0 && System.Text.Unicode.Utf8.IsValid(bytes))
                        writer.WriteString("value", Strict.GetString(bytes));
                    else
                    {
                        writer.WriteBase64String("value", bytes);
                        writer.WriteBoolean("base64", true);
                    }
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
