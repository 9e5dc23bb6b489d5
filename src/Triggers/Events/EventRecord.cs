using System.Text;

namespace NpsTriggers.Triggers.Events;

/// <summary>
/// A record carrying one CloudEvent, whichever way it came: its headers (the Kafka binding's <c>ce_*</c> attributes and
/// <c>content-type</c>; none but the content type for an event posted over HTTP) and its bytes. The reader sees only this,
/// so it knows no transport.
/// </summary>
public readonly record struct EventRecord(IReadOnlyList<KeyValuePair<string, byte[]?>> Headers, ReadOnlyMemory<byte> Value)
{
    private static readonly KeyValuePair<string, byte[]?>[] StructuredHeaders = [new("content-type", "application/cloudevents+json"u8.ToArray())];

    /// <summary>A whole event in JSON (structured mode), as <c>POST /api/events</c> and <c>rules simulate</c> read it.</summary>
    public static EventRecord Structured(ReadOnlyMemory<byte> json) => new(StructuredHeaders, json);

    /// <summary>The last header named <paramref name="key"/> (case-insensitive), decoded as UTF-8 and trimmed.</summary>
    public string? Header(string key)
    {
        for (var i = Headers.Count - 1; i >= 0; i--)
            if (string.Equals(Headers[i].Key, key, StringComparison.OrdinalIgnoreCase))
                return Headers[i].Value is { } bytes ? Encoding.UTF8.GetString(bytes).Trim() : null;
        return null;
    }
}
