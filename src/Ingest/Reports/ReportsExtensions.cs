using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace NpsTriggers.Ingest.Reports;

/// <summary>
/// What the replies add up to, for ops (admin key): the NPS report (<c>/api/reports/nps</c>, and <c>/api/nps</c>, its
/// one-figure alias), the dashboard (<c>/dashboard</c>) and every rule's decisions (<c>/api/decisions</c>).
/// </summary>
public static class ReportsExtensions
{
    public static IHostApplicationBuilder AddReports(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<NpsReportQuery>();
        builder.Services.AddSingleton<DashboardQuery>();
        return builder;
    }

    public static IEndpointRouteBuilder MapReports(this IEndpointRouteBuilder app)
    {
        app.MapReportsApi();
        app.MapNpsApi();
        app.MapDashboard();
        app.MapDecisionsApi();
        return app;
    }
}
