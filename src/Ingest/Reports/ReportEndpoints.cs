using NpsTriggers.Core.Access;
using NpsTriggers.Core.Invitations;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace NpsTriggers.Ingest.Reports;

/// <summary>
/// <c>GET /api/reports/nps</c> (ops key): NPS, category counts, 95% margin of error and response rate, by survey,
/// channel or any kept metadata field (<c>by=product</c>), over time (<c>interval=day|week|month</c>) in a chosen
/// zone (<c>tz=Europe/Berlin</c>) or each respondent's own (<c>tz=respondent</c>, the default is UTC).
/// </summary>
public static partial class ReportEndpoints
{
    public sealed record NpsReport(string? By, string? Interval, string TimeZone, DateTimeOffset? From, DateTimeOffset? To, List<NpsReportRow> Rows);

    public static IEndpointRouteBuilder MapReportsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/reports").RequireKey(KeyPolicies.Admin).MapGet("/nps", GetAsync);
        return app;
    }

    private static async Task<Results<Ok<NpsReport>, ValidationProblem>> GetAsync(string? from, string? to, string? survey, string? channel,
        string? by, string? interval, string? tz, NpsReportQuery query, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var request = Parse(from, to, survey, channel, by, interval, tz, errors);
        if (request is null)
            return TypedResults.ValidationProblem(errors, title: "Invalid report query");
        var rows = await query.RunAsync(request, cancellationToken);
        return TypedResults.Ok(new NpsReport(request.By, request.Interval, request.TimeZone ?? "respondent", request.From, request.To, rows));
    }

    /// <summary>Validates the query string; null (and <paramref name="errors"/> filled) when it is wrong.</summary>
    public static NpsReportRequest? Parse(string? from, string? to, string? survey, string? channel, string? by, string? interval, string? tz,
        Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var fromTime = ParseTime(from, nameof(from), errors);
        var toTime = ParseTime(to, nameof(to), errors);
        if (fromTime is not null && toTime is not null && fromTime >= toTime)
            errors["to"] = ["'to' must be later than 'from'."];
        if (!string.IsNullOrEmpty(channel) && !Enum.GetValues<InvitationChannel>().Any(c => c.Column() == channel))
            errors["channel"] = ["channel is email or sms."];
        if (!string.IsNullOrEmpty(by) && !FieldName().IsMatch(by))
            errors["by"] = [$"'{by}' is not survey, channel or a metadata field name (letters, digits, '_', '-', '.')."];
        if (interval is not (null or "" or "day" or "week" or "month"))
            errors["interval"] = ["interval is day, week or month."];
        string? zone = "UTC";
        if (string.Equals(tz, "respondent", StringComparison.Ordinal))
            zone = null;
        else if (!string.IsNullOrEmpty(tz))
        {
            if (TimeZoneInfo.TryFindSystemTimeZoneById(tz, out var found) && found.HasIanaId)
                zone = found.Id;
            else
                errors["tz"] = [$"'{tz}' is not an IANA time zone (Europe/Berlin) or 'respondent'."];
        }
        if (errors.Count > 0)
            return null;
        return new NpsReportRequest(fromTime, toTime, Blank(survey), Blank(channel), Blank(by), Blank(interval), zone);
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private static DateTimeOffset? ParseTime(string? text, string name, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            return value;
        errors[name] = [$"'{text}' is not a date or an ISO 8601 timestamp (2026-11-01 or 2026-11-01T00:00:00Z)."];
        return null;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,64}$")]
    private static partial Regex FieldName();
}
