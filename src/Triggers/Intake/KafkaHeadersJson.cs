using System.Buffers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;

namespace NpsTriggers.Triggers.Intake;

/// <summary>Kafka headers as a JSON array of <c>{"key", "value"}</c> for dead letters; non-UTF-8 values are base64 with <c>"base64": true</c>.</summary>
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
                writer.WriteString("key", header.Key);
                var bytes = header.GetValueBytes();
                if (bytes is null)
                    writer.WriteNull("value");
                else
                {
                    try
                    {
                        writer.WriteString("value", Strict.GetString(bytes));
                    }
                    catch (DecoderFallbackException)
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
