using Hangfire;
using NpsTriggers.Core.Access;
using NpsTriggers.Dispatch;

namespace NpsTriggers.Host;

/// <summary>Hangfire's dashboard at <c>/hangfire</c> on the ingest role, behind the same ops key as <c>/dashboard</c>.</summary>
public static class JobsDashboard
{
    public static IServiceCollection AddJobsDashboard(this IServiceCollection services, HostRoles roles)
    {
        ArgumentNullException.ThrowIfNull(roles);
        if (!roles.Dispatch)
            services.AddHangfireStorage();
        return services;
    }

    public static IEndpointRouteBuilder MapJobsDashboard(this IEndpointRouteBuilder app)
    {
        // The admin policy guards the endpoint before Hangfire sees the request, so Hangfire's own filters have nothing
        // left to decide (its default, local requests only, would refuse every request through a proxy).
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [],
            AsyncAuthorization = [],
            DisplayStorageConnectionString = false,
            DashboardTitle = "NpsTriggers jobs",
        }).RequireKey(KeyPolicies.Admin);
        return app;
    }
}
