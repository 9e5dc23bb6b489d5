using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using NpsTriggers.Core.Access;

namespace NpsTriggers.Ingest.Reports;

/// <summary><c>GET /dashboard?weeks=12</c> (ops key; a browser gets a Basic prompt): the server-rendered dashboard.</summary>
public static class DashboardEndpoints
{
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/dashboard").RequireKey(KeyPolicies.Admin).MapGet("/", GetAsync);
        return app;
    }

    private static async Task<Results<ContentHttpResult, ValidationProblem>> GetAsync(int? weeks, DashboardQuery query, TimeProvider time, CancellationToken cancellationToken)
    {
        if (weeks is < 1 or > 104)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["weeks"] = ["weeks is 1 to 104."] });
        var now = time.GetUtcNow();
        var data = await query.ReadAsync(now, weeks ?? 12, cancellationToken);
        return TypedResults.Content(DashboardPage.Render(data, now), "text/html; charset=utf-8");
    }
}
