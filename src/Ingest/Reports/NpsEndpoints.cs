using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using NpsTriggers.Core.Access;

namespace NpsTriggers.Ingest.Reports;

/// <summary>
/// <c>GET /api/nps?from=&amp;to=&amp;survey=</c> (ops key): the NPS over responses answered in [from, to) as one figure.
/// A thin alias of <c>GET /api/reports/nps</c> without grouping or periods (<see cref="ReportEndpoints"/>), kept
/// for the callers written against it: the same validation, the same query, the one row in the older shape.
/// </summary>
public static class NpsEndpoints
{
    /// <summary>
    /// The NPS report; <see cref="Nps"/> is null when there are no responses, <see cref="MarginOfError"/> (95%, in NPS
    /// points, <see cref="Core.Nps.NpsSummary.MarginOfError"/>) with fewer than two.
    /// </summary>
    public sealed record NpsReport(int Promoters, int Passives, int Detractors, int Responses, double? Nps, double? MarginOfError, string? Survey,
        DateTimeOffset? From, DateTimeOffset? To);

    public static IEndpointRouteBuilder MapNpsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").RequireKey(KeyPolicies.Admin).MapGet("/nps", GetAsync);
        return app;
    }

    private static async Task<Results<Ok<NpsReport>, ValidationProblem>> GetAsync(
        string? from, string? to, string? survey, NpsReportQuery query, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var request = ReportEndpoints.Parse(from, to, survey, channel: null, by: null, interval: null, tz: null, errors);
        if (request is null)
            return TypedResults.ValidationProblem(errors, title: "Invalid NPS query");
        // Without a grouping or an interval the report has at most one row (none when nothing was sent or answered).
        var row = (await query.RunAsync(request, cancellationToken)).SingleOrDefault();
        return TypedResults.Ok(new NpsReport(row?.Promoters ?? 0, row?.Passives ?? 0, row?.Detractors ?? 0, row?.Responses ?? 0, row?.Nps,
            row?.MarginOfError, survey, request.From, request.To));
    }
}
