using System.Globalization;
using System.Text;

namespace NpsTriggers.IntegrationTests.Faults.Corpus;

/// <summary>How a generated event travels.</summary>
internal enum Binding { KafkaBinary, KafkaStructured, Http }

/// <summary>What the contract (docs/EVENTS.md) says must become of an event.</summary>
internal enum Expect
{
    /// <summary>An inbox row (or, for a repeated source and id, the row of its first arrival).</summary>
    Stored,

    /// <summary>Readable, but no rule knows its type: nothing is written.</summary>
    Skipped,

    /// <summary>A dead letter with a reason.</summary>
    DeadLettered,
}

/// <summary>
/// One generated event, as attributes and the text of its data, and what must become of it. <see cref="Mutation"/> names
/// what was done to an otherwise valid event, so a failure reads as "lone surrogate in data.product" and not as bytes.
/// </summary>
internal sealed record CorpusEvent(
    int Index,
    Binding Binding,
    string? SpecVersion,
    string? Id,
    string Source,
    string? Type,
    string? Time,
    string DataJson,
    string Mutation,
    Expect Expect,
    string? ReasonContains = null,
    byte[]? RawValue = null,
    byte[]? RawIdHeader = null)
{
    public string Describe() => $"#{Index} {Binding} {Type} id={Show(Id)} time={Show(Time)} mutation={Mutation} expect={Expect}";

    private static string Show(string? text) => text is null ? "(none)" : text.Length > 60 ? Json.String(text[..60]) + "…" : Json.String(text);

    /// <summary>The structured-mode envelope: the attributes and the data, as JSON text.</summary>
    public string Envelope()
    {
        var envelope = new StringBuilder("{");
        void Attribute(string name, string? value)
        {
            if (value is not null)
                envelope.Append(Json.String(name)).Append(':').Append(Json.String(value)).Append(',');
        }
        Attribute("specversion", SpecVersion);
        Attribute("id", Id);
        Attribute("source", Source);
        Attribute("type", Type);
        Attribute("time", Time);
        Attribute("datacontenttype", "application/json");
        return envelope.Append("\"data\":").Append(DataJson).Append('}').ToString();
    }
}

/// <summary>
/// JSON text written by hand, so the corpus can hold what a serializer would refuse to write: lone surrogates (as
/// <c>\uD83D</c> escapes), NUL escapes, numbers beyond any .NET type.
/// </summary>
internal static class Json
{
    public static string String(string text)
    {
        var json = new StringBuilder(text.Length + 2).Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                json.Append(c).Append(text[++i]);
            else if (c is '"' or '\\')
                json.Append('\\').Append(c);
            else if (c < 0x20 || char.IsSurrogate(c))
                json.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else
                json.Append(c);
        }
        return json.Append('"').ToString();
    }

    /// <summary>What PostgreSQL text cannot hold: a NUL, or a surrogate without its pair.</summary>
    public static bool Storable(string? text)
    {
        if (text is null)
            return true;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\0')
                return false;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(text[i]))
                return false;
        }
        return true;
    }
}
