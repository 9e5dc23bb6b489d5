using NpsTriggers.Core.Access;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using NpsTriggers.Ingest.Replies;

namespace NpsTriggers.Ingest.Reports;

/// <summary><c>GET /api/nps?from=&amp;to=&amp;survey=</c>: the NPS over responses answered in [from, to).</summary>
public static class NpsEndpoints
{
    /// <summary>The NPS report; <see cref="Nps"/> is null when there are no responses.</summary>
    public sealed record NpsReport(int Promoters, int Passives, int Detractors, int Responses, double? Nps, string? Survey,
        DateTimeOffset? From, DateTimeOffset? To);

    public static IEndpointRouteBuilder MapNpsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").RequireKey(KeyPolicies.Admin).MapGet("/nps", GetAsync);
        return app;
    }

    private static async Task<Results<Ok<NpsReport>, ProblemHttpResult>> GetAsync(
        string? from, string? to, string? survey, ResponseStore responses, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var fromTime = ParseTime(from, nameof(from), errors);
        var toTime = ParseTime(to, nameof(to), errors);
        if (fromTime is not null && toTime is not null && fromTime >= toTime)
            errors["to"] = ["'to' must be later than 'from'."];
        if (errors.Count > 0)
            return TypedResults.Problem(title: "Invalid NPS query", statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["errors"] = errors });
        var summary = await responses.SummaryAsync(fromTime, toTime, string.IsNullOrWhiteSpace(survey) ? null : survey, cancellationToken);
        return TypedResults.Ok(new NpsReport(summary.Promoters, summary.Passives, summary.Detractors, summary.Responses, summary.Nps,
            survey, fromTime, toTime));
    }

    private static DateTimeOffset? ParseTime(string? text, string name, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            return value;
        errors[name] = [$"'{text}' is not a date or an ISO 8601 timestamp (2026-11-01 or 2026-11-01T00:00:00Z)."];
        return null;
    }
}
