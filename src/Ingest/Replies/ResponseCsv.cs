using System.Globalization;
using System.Text;

namespace NpsTriggers.Ingest.Replies;

/// <summary>CSV export of responses (RFC 4180: CRLF line ends, fields with a comma, quote or line break quoted, quotes doubled).</summary>
public static class ResponseCsv
{
    public const string Header = "invitation_id,survey,channel,score,category,comment,answered_at,updated_at,version,metadata";

    public static string Row(ResponseView response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var line = new StringBuilder();
        line.Append(response.InvitationId.ToString("D")).Append(',')
            .Append(Field(response.Survey)).Append(',')
            .Append(Field(response.Channel)).Append(',')
            .Append(response.Score.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(response.Category).Append(',')
            .Append(Field(response.Comment)).Append(',')
            .Append(response.AnsweredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)).Append(',')
            .Append(response.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)).Append(',')
            .Append(response.Version.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(Field(response.Metadata.GetRawText()));
        return line.Append("\r\n").ToString();
    }

    /// <summary>One text field, quoted when RFC 4180 requires it.</summary>
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        // Free text from customers opens in spreadsheets: a cell starting with = + - @ (or tab / CR) would be read as a
        // formula (OWASP "CSV injection"), so such text gets a leading apostrophe, which spreadsheets show as text.
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            value = "'" + value;
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
