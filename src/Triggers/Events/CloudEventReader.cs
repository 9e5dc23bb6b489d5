using System.Text;
using System.Text.Json;
using NpsTriggers.Core.Events;
using NpsTriggers.Core.Storage;

namespace NpsTriggers.Triggers.Events;

/// <summary>
/// Reads a CloudEvents 1.0 event from a record (<see cref="EventRecord"/>) in either mode of the Kafka protocol binding:
/// binary (attributes in <c>ce_*</c> headers, data in the value) or structured (<c>content-type:
/// application/cloudevents+json</c>, the whole event in the value), which is also what <c>POST /api/events</c> takes.
/// Anything unusable yields a reason for the dead-letter table (docs/EVENTS.md).
/// </summary>
public static class CloudEventReader
{
    private static readonly JsonReaderOptions JsonOptions = new() { MaxDepth = 32 };

    /// <summary>
    /// The longest <c>id</c>, <c>source</c>, <c>type</c> and <c>data.recipient.customerId</c> accepted, in UTF-8 bytes:
    /// they are index keys, and a PostgreSQL B-tree entry holds at most 2704 bytes.
    /// </summary>
    public const int MaxAttributeBytes = 512;

    /// <summary>
    /// Parses straight from the record's bytes into an element that owns its memory (no pooled document to
    /// dispose, no copy to clone), and rejects anything after the value.
    /// </summary>
    private static bool TryParse(ReadOnlySpan<byte> value, out JsonElement root, out string? error)
    {
        // Utf8JsonReader checks the JSON structure but leaves string contents undecoded; invalid UTF-8 inside a
        // string would throw later, on first read of that string. Refuse it here, as a reason (found by ParserFuzzTests).
        if (InvalidUtf8At(value) is { } at)
        {
            root = default;
            error = $"invalid UTF-8 at byte {at}";
            return false;
        }
        var reader = new Utf8JsonReader(value, JsonOptions);
        try
        {
            root = JsonElement.ParseValue(ref reader);
            if (reader.Read())
            {
                error = $"unexpected data after the JSON value at byte {reader.TokenStartIndex}";
                return false;
            }
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            root = default;
            error = e.Message;
            return false;
        }
    }

    private static int? InvalidUtf8At(ReadOnlySpan<byte> value)
    {
        if (System.Text.Unicode.Utf8.IsValid(value))
            return null;
        for (var at = 0; at < value.Length;)
        {
            if (System.Text.Rune.DecodeFromUtf8(value[at..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
                return at;
            at += consumed;
        }
        return null;
    }

    public static CloudEventReadResult Read(EventRecord record, int maxRecordBytes)
    {
        var value = record.Value.Span;
        if (value.Length == 0)
            return CloudEventReadResult.Fail("the record has no value");
        if (value.Length > maxRecordBytes)
            return CloudEventReadResult.Fail($"the record is {Size(value.Length)}, over the {Size(maxRecordBytes)} limit");
        if (NotUtf8(record.Headers) is { } header)
            return CloudEventReadResult.Fail($"header {StorableText.Escape(header, 100)} is not UTF-8 text");
        var contentType = record.Header("content-type");
        return contentType is not null && MediaType(contentType).Equals("application/cloudevents+json", StringComparison.OrdinalIgnoreCase)
            ? ReadStructured(value)
            : ReadBinary(record, contentType, value);
    }

    /// <summary>
    /// The first attribute header whose value is not UTF-8. Decoding would turn its bytes into U+FFFD and so a broken
    /// id into a different, valid one; such a record is refused instead.
    /// </summary>
    private static string? NotUtf8(IReadOnlyList<KeyValuePair<string, byte[]?>> headers)
    {
        for (var i = 0; i < headers.Count; i++)
        {
            var (key, bytes) = headers[i];
            if ((key.StartsWith("ce_", StringComparison.OrdinalIgnoreCase) || key.Equals("content-type", StringComparison.OrdinalIgnoreCase))
                && bytes is not null && !System.Text.Unicode.Utf8.IsValid(bytes))
                return key;
        }
        return null;
    }

    private static CloudEventReadResult ReadBinary(EventRecord record, string? contentType, ReadOnlySpan<byte> value)
    {
        if (contentType is not null && !IsJson(MediaType(contentType)))
            return CloudEventReadResult.Fail($"content-type '{contentType}' is not JSON");
        var specVersion = record.Header("ce_specversion");
        var id = record.Header("ce_id");
        var source = record.Header("ce_source");
        var type = record.Header("ce_type");
        var time = record.Header("ce_time");
        if (Missing(specVersion, id, source, type) is { } missing)
            return CloudEventReadResult.Fail($"missing CloudEvents attribute '{missing}' (header ce_{missing})");
        if ((Unstorable("specversion", specVersion) ?? Unstorable("id", id) ?? Unstorable("source", source) ?? Unstorable("type", type)
            ?? Unstorable("time", time)) is { } unstorableHeader)
            return CloudEventReadResult.Fail(unstorableHeader);
        if (!TryParse(value, out var root, out var error))
            return CloudEventReadResult.Fail($"the value is not valid JSON: {error}");
        if (StorableText.MayHideUnstorable(value) && StorableText.FindIn(root, "data") is { } unstorable)
            return CloudEventReadResult.Fail($"{unstorable.Path} {unstorable.Problem}");
        return Build(specVersion!, id!, source!, type!, time, root, "the value");
    }

    private static CloudEventReadResult ReadStructured(ReadOnlySpan<byte> value)
    {
        if (!TryParse(value, out var root, out var error))
            return CloudEventReadResult.Fail($"the value is not valid JSON: {error}");
        {
            if (root.ValueKind != JsonValueKind.Object)
                return CloudEventReadResult.Fail("a structured-mode event must be a JSON object");
            if (StorableText.MayHideUnstorable(value) && StorableText.FindIn(root, "event") is { } unstorable)
                return CloudEventReadResult.Fail($"{Named(unstorable.Path)} {unstorable.Problem}");
            string? Attribute(string name) =>
                root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()?.Trim() : null;
            var specVersion = Attribute("specversion");
            var id = Attribute("id");
            var source = Attribute("source");
            var type = Attribute("type");
            if (Missing(specVersion, id, source, type) is { } missing)
                return CloudEventReadResult.Fail($"missing CloudEvents attribute '{missing}'");
            var dataContentType = Attribute("datacontenttype");
            if (dataContentType is not null && !IsJson(MediaType(dataContentType)))
                return CloudEventReadResult.Fail($"datacontenttype '{dataContentType}' is not JSON");
            if (!root.TryGetProperty("data", out var data))
                return CloudEventReadResult.Fail("the event has no 'data'");
            return Build(specVersion!, id!, source!, type!, Attribute("time"), data, "'data'");
        }

        // "event.data.x" is the data field data.x; "event.id" is the attribute 'id'.
        static string Named(string path) =>
            path.StartsWith("event.data", StringComparison.Ordinal) ? path["event.".Length..] : $"attribute '{path["event.".Length..]}'";
    }

    private static CloudEventReadResult Build(string specVersion, string id, string source, string type, string? time, JsonElement data, string dataName)
    {
        if (specVersion != "1.0")
            return CloudEventReadResult.Fail($"specversion '{specVersion}' is not supported (expected 1.0)");
        if ((OverLimit("attribute 'id'", id) ?? OverLimit("attribute 'source'", source) ?? OverLimit("attribute 'type'", type)) is { } overLimit)
            return CloudEventReadResult.Fail(overLimit);
        DateTimeOffset? at = null;
        if (!string.IsNullOrEmpty(time))
        {
            // Normalised to UTC here, at the edge: every later step, and PostgreSQL, sees one form.
            if (!Rfc3339.TryParse(time, out var parsed, out var timeError))
                return CloudEventReadResult.Fail($"time '{time}' is not usable: {timeError}");
            at = parsed;
        }
        if (data.ValueKind != JsonValueKind.Object)
            return CloudEventReadResult.Fail($"{dataName} must be a JSON object, not {data.ValueKind.ToString().ToLowerInvariant()}");
        if (!data.TryGetProperty("recipient", out var person) || person.ValueKind != JsonValueKind.Object)
            return CloudEventReadResult.Fail("data.recipient is missing: no usable contact");
        string? Field(string name) =>
            person.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { } s && !string.IsNullOrWhiteSpace(s)
                ? s.Trim() : null;
        var email = Field("email");
        var phone = Field("phone");
        var emailOk = email is not null && ContactRules.IsEmail(email);
        var phoneOk = phone is not null && ContactRules.IsE164(phone);
        if (!emailOk && !phoneOk)
            return CloudEventReadResult.Fail(email is null && phone is null
                ? "data.recipient has no usable contact: neither email nor phone"
                : $"data.recipient has no usable contact: {(email is null ? "" : $"email '{email}' is not an address")}{(email is not null && phone is not null ? ", " : "")}{(phone is null ? "" : $"phone '{phone}' is not E.164 (+ and 7 to 15 digits)")}");
        var locale = Field("locale");
        if (locale is not null && !ContactRules.IsLocale(locale))
            return CloudEventReadResult.Fail($"data.recipient.locale '{locale}' is not a BCP 47 language tag");
        var zone = Field("timeZone");
        if (zone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            return CloudEventReadResult.Fail($"data.recipient.timeZone '{zone}' is not a known IANA time zone");
        var customerId = Field("customerId");
        if (OverLimit("data.recipient.customerId", customerId) is { } customerOverLimit)
            return CloudEventReadResult.Fail(customerOverLimit);
        var recipient = new Recipient(customerId, emailOk ? ContactRules.NormaliseEmail(email!) : null, phoneOk ? phone : null,
            Field("name"), locale, zone);
        return CloudEventReadResult.Ok(new BusinessEvent(source, id, type, at, recipient, data));
    }

    private static string? Unstorable(string name, string? text) =>
        text is not null && StorableText.Problem(text) is { } problem ? $"header ce_{name} {problem}" : null;

    // At most three UTF-8 bytes per UTF-16 unit: short text is within the limit without counting.
    private static string? OverLimit(string what, string? text) =>
        text is not null && text.Length * 3 > MaxAttributeBytes && Encoding.UTF8.GetByteCount(text) is var bytes && bytes > MaxAttributeBytes
            ? $"{what} is {bytes} bytes long, over the {MaxAttributeBytes}-byte limit"
            : null;

    private static string? Missing(string? specVersion, string? id, string? source, string? type) =>
        string.IsNullOrEmpty(id) ? "id"
        : string.IsNullOrEmpty(source) ? "source"
        : string.IsNullOrEmpty(type) ? "type"
        : string.IsNullOrEmpty(specVersion) ? "specversion"
        : null;

    private static string MediaType(string contentType)
    {
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
    }

    private static bool IsJson(string mediaType) =>
        mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("text/json", StringComparison.OrdinalIgnoreCase);

    private static string Size(int bytes) => bytes >= 1024 ? $"{bytes / 1024.0:0.#} KiB" : $"{bytes} bytes";
}
