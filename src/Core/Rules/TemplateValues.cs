using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Fluid.Values;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Core.Rules;

/// <summary>
/// What a survey text sees: <c>recipient.*</c>, the kept <c>data.*</c> fields, and the recipient's language and zone
/// (so <c>date</c> formats their wall clock in their words). Built once per message and shared by its texts.
/// </summary>
public sealed class TemplateValues
{
    private static readonly ConcurrentDictionary<string, CultureInfo> Cultures = new(StringComparer.OrdinalIgnoreCase);

    private TemplateValues(FluidValue recipient, FluidValue data, CultureInfo culture, TimeZoneInfo zone, TimeProvider clock)
    {
        Recipient = recipient;
        Data = data;
        Culture = culture;
        Zone = zone;
        Clock = clock;
    }

    /// <summary>No values: every variable renders empty (or its <c>default</c>).</summary>
    public static TemplateValues None { get; } = new(NilValue.Instance, NilValue.Instance, CultureInfo.InvariantCulture, TimeZoneInfo.Utc, TimeProvider.System);

    internal FluidValue Recipient { get; }
    internal FluidValue Data { get; }
    internal CultureInfo Culture { get; }
    internal TimeZoneInfo Zone { get; }
    internal TimeProvider Clock { get; }

    /// <summary>An invitation's values; its kept fields are parsed here once for all the texts of its message.</summary>
    public static TemplateValues For(Invitation invitation, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        var recipient = new Dictionary<string, FluidValue>(6, StringComparer.Ordinal)
        {
            ["customerId"] = Text(invitation.CustomerId),
            ["email"] = Text(invitation.Email),
            ["phone"] = Text(invitation.Phone),
            ["name"] = Text(invitation.Name),
            ["locale"] = Text(invitation.Locale),
            ["timeZone"] = Text(invitation.TimeZone),
        };
        using var attributes = JsonDocument.Parse(invitation.AttributesJson);
        return new(Object(recipient), FromJson(attributes.RootElement), CultureOf(invitation.Locale), ZoneOf(invitation.TimeZone),
            clock ?? TimeProvider.System);
    }

    /// <summary>Values looked up by path (<c>recipient.name</c>, <c>data.orderId</c>) for the paths a text reads.</summary>
    public static TemplateValues From(Func<string, string?> resolve, IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        ArgumentNullException.ThrowIfNull(paths);
        var recipient = new Dictionary<string, FluidValue>(StringComparer.Ordinal);
        var data = new Dictionary<string, FluidValue>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var dot = path.IndexOf('.', StringComparison.Ordinal);
            (path[..dot] == "recipient" ? recipient : data)[path[(dot + 1)..]] = Text(resolve(path));
        }
        return new(Object(recipient), Object(data), CultureInfo.InvariantCulture, TimeZoneInfo.Utc, TimeProvider.System);
    }

    /// <summary>
    /// Blank text counts as missing, so <c>default</c> applies to a name of spaces as the pre-Liquid templates did
    /// (Liquid's own <c>default</c> would keep the spaces).
    /// </summary>
    private static FluidValue Text(string? value) => string.IsNullOrWhiteSpace(value) ? NilValue.Instance : StringValue.Create(value);

    private static FluidValue Object(Dictionary<string, FluidValue> fields) => DictionaryValue.Create(new FluidValueDictionaryFluidIndexable(fields));

    private static FluidValue FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => Text(element.GetString()),
        JsonValueKind.Number => element.TryGetDecimal(out var number) ? NumberValue.Create(number) : StringValue.Create(element.GetRawText()),
        JsonValueKind.True => BooleanValue.True,
        JsonValueKind.False => BooleanValue.False,
        JsonValueKind.Array => ArrayValue.Create(element.EnumerateArray().Select(FromJson).ToArray()),
        JsonValueKind.Object => Object(element.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value), StringComparer.Ordinal)),
        _ => NilValue.Instance,
    };

    /// <summary>
    /// The recipient's culture for dates and numbers; a tag .NET does not know (events carry what producers send) formats
    /// invariantly rather than failing the send. Unknown tags are remembered too, so a bad tag costs one exception, not one per send.
    /// </summary>
    private static CultureInfo CultureOf(string? locale)
    {
        if (string.IsNullOrWhiteSpace(locale))
            return CultureInfo.InvariantCulture;
        if (Cultures.TryGetValue(locale, out var known))
            return known;
        CultureInfo culture;
        try
        {
            culture = CultureInfo.GetCultureInfo(locale, predefinedOnly: true);
        }
        catch (CultureNotFoundException)
        {
            culture = CultureInfo.InvariantCulture;
        }
        if (Cultures.Count < 1_000)
            Cultures.TryAdd(locale, culture);
        return culture;
    }

    private static TimeZoneInfo ZoneOf(string? zone) =>
        zone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var found) ? found : TimeZoneInfo.Utc;
}
