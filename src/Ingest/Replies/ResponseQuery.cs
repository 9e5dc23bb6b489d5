using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpsTriggers.Core.Nps;

namespace NpsTriggers.Ingest.Replies;

/// <summary>
/// The filters of <c>GET /api/responses</c> and its keyset cursor. Rows are ordered by (answered_at, invitation_id),
/// which is unique, so "after the last row of the page" is exact however many rows arrive meanwhile, and each page
/// costs an index range scan instead of an OFFSET that reads every earlier row again.
/// </summary>
public sealed record ResponseQuery(string? Survey, string? Channel, string? Category, DateTimeOffset? From, DateTimeOffset? To,
    IReadOnlyList<KeyValuePair<string, string>> Metadata, (DateTimeOffset AnsweredAt, Guid InvitationId)? After)
{
    public const string Columns = """
        r.invitation_id, r.survey, r.channel, r.score, r.comment, r.answered_at, r.updated_at, r.version, r.attributes::text
        """;

    /// <summary>Reads the row's <see cref="Columns"/>, which start at column <paramref name="first"/>.</summary>
    public static ResponseView Read(NpgsqlDataReader reader, int first = 0)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var score = (int)reader.GetInt16(first + 3);
        // Parsed straight into an element of its own (no pooled document to copy out of and return).
        var metadata = JsonElement.Parse(reader.GetString(first + 8));
        return new ResponseView(reader.GetGuid(first), reader.GetString(first + 1), reader.GetString(first + 2), score, NpsSummary.CategoryOf(score),
            reader.IsDBNull(first + 4) ? null : reader.GetString(first + 4), reader.GetFieldValue<DateTimeOffset>(first + 5),
            reader.GetFieldValue<DateTimeOffset>(first + 6), reader.GetInt32(first + 7), metadata);
    }

    /// <summary>The select for this query; <paramref name="limit"/> null reads to the end (CSV export).</summary>
    public NpgsqlCommand ToCommand(NpgsqlConnection connection, int? limit)
    {
        var where = new StringBuilder("true");
        var command = new NpgsqlCommand { Connection = connection };
        void Add(string condition, string name, object value)
        {
            where.Append(" and ").Append(condition);
            command.Parameters.AddWithValue(name, value);
        }
        if (Survey is not null)
            Add("r.survey = @survey", "survey", Survey);
        if (Channel is not null)
            Add("r.channel = @channel", "channel", Channel);
        if (Category is not null)
            Add("nps_category(r.score) = @category", "category", Category);
        if (From is { } from)
            Add("r.answered_at >= @from", "from", from);
        if (To is { } to)
            Add("r.answered_at < @to", "to", to);
        for (var i = 0; i < Metadata.Count; i++)
        {
            // Field names and values are parameters, never SQL text.
            where.Append(CultureInfo.InvariantCulture, $" and r.attributes ->> @mk{i} = @mv{i}");
            command.Parameters.AddWithValue($"mk{i}", Metadata[i].Key);
            command.Parameters.AddWithValue($"mv{i}", Metadata[i].Value);
        }
        if (After is { } after)
        {
            where.Append(" and (r.answered_at, r.invitation_id) > (@after_at, @after_id)");
            command.Parameters.AddWithValue("after_at", after.AnsweredAt);
            command.Parameters.AddWithValue("after_id", after.InvitationId);
        }
        command.CommandText = $"select {Columns} from responses r where {where} order by r.answered_at, r.invitation_id"
            + (limit is { } n ? string.Create(CultureInfo.InvariantCulture, $" limit {n}") : "");
        return command;
    }

    /// <summary>An opaque cursor for "after this row": base64url of its microsecond timestamp and id.</summary>
    public static string Cursor(ResponseView last)
    {
        ArgumentNullException.ThrowIfNull(last);
        // PostgreSQL keeps microseconds; ticks would round-trip too, but microseconds say what the key really is.
        var micros = (last.AnsweredAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{micros}:{last.InvitationId:N}")));
    }

    public static bool TryParseCursor(string text, out (DateTimeOffset, Guid) after)
    {
        after = default;
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split(':');
            if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
                || !Guid.TryParseExact(parts[1], "N", out var id))
                return false;
            after = (DateTimeOffset.UnixEpoch.AddTicks(micros * 10), id);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
