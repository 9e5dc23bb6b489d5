using Hangfire;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Npgsql;
using NpsTriggers.Core.Access;
using NpsTriggers.Dispatch;

namespace NpsTriggers.Host;

/// <summary>
/// Hangfire's dashboard at <c>/hangfire</c> on the ingest role, behind the same ops key as <c>/dashboard</c>. A browser
/// sends that key by itself (HTTP Basic), so another site could make it post to the dashboard (trigger or delete jobs):
/// with an antiforgery service registered, Hangfire puts a token into its pages and refuses any POST without it. The
/// tokens rest on Data Protection keys kept in PostgreSQL (<see cref="PostgresXmlRepository"/>), shared by every replica.
/// </summary>
public static class JobsDashboard
{
    public static IServiceCollection AddJobsDashboard(this IServiceCollection services, HostRoles roles)
    {
        ArgumentNullException.ThrowIfNull(roles);
        if (!roles.Dispatch)
            services.AddHangfireStorage();
        services.AddDataProtection().SetApplicationName("NpsTriggers");
        services.AddOptions<KeyManagementOptions>().Configure<NpgsqlDataSource, TimeProvider>((keys, data, time) =>
            keys.XmlRepository = new PostgresXmlRepository(data, time));
        services.AddAntiforgery(options => options.Cookie.Name = "NpsTriggers.Antiforgery");
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
