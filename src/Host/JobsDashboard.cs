using Hangfire;
using Hangfire.Dashboard;
using NpsTriggers.Dispatch;
using NpsTriggers.Ingest.Auth;

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
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [],
            AsyncAuthorization = [new AdminKeyAuthorization()],
            DisplayStorageConnectionString = false,
            DashboardTitle = "NpsTriggers jobs",
        });
        return app;
    }

    private sealed class AdminKeyAuthorization : IDashboardAsyncAuthorizationFilter
    {
        public Task<bool> AuthorizeAsync(DashboardContext context)
        {
            var http = context.GetHttpContext();
            var allowed = AdminAccess.Check(http) == AdminAccess.Verdict.Allowed;
            if (!allowed)
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"NpsTriggers ops\", charset=\"UTF-8\"";
            return Task.FromResult(allowed);
        }
    }
}
