using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using NpsTriggers.Ingest.Access;
using NpsTriggers.Ingest.Admin;
using NpsTriggers.Ingest.Bounces;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Ingest.Privacy;
using NpsTriggers.Ingest.Replies;
using NpsTriggers.Ingest.Reports;

namespace NpsTriggers.Ingest;

/// <summary>
/// The ingest role, area by area: who may call (<c>Access</c>), replies coming in (<c>Replies</c>), what they cause
/// (<c>Loop</c>), what they add up to (<c>Reports</c>), data-subject requests (<c>Privacy</c>), email bounces
/// (<c>Bounces</c>) and ops (<c>Admin</c>).
/// </summary>
public static class IngestExtensions
{
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddIngestKeys();
        builder.AddReplies();
        builder.AddLoop();
        builder.AddReports();
        builder.AddPrivacy();
        builder.AddBounces();
        return builder;
    }

    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder app)
    {
        app.MapReplies();
        app.MapLoop();
        app.MapReports();
        app.MapPrivacyApi();
        app.MapSuppressionsApi();
        return app;
    }
}
