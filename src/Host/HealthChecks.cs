using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using NpsTriggers.Core.Rules;

namespace NpsTriggers.Host;

/// <summary>Readiness: PostgreSQL answers, and the send rules in force are the file on disk (degraded when an edit was rejected).</summary>
internal static class HealthChecks
{
    public static IHostApplicationBuilder AddReadiness(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<PostgresCheck>("postgres")
            .AddCheck<RulesCheck>("rules");
        return builder;
    }

    public static void MapHealth(this WebApplication app)
    {
        app.MapGet("/healthz/live", () => TypedResults.Text("live"));
        app.MapHealthChecks("/healthz/ready", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
        {
            ResponseWriter = async (context, report) =>
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsJsonAsync(new
                {
                    status = report.Status.ToString(),
                    checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
                });
            },
        });
    }

    private sealed class PostgresCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var command = dataSource.CreateCommand("select 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (NpgsqlException e)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL is unreachable: " + e.Message);
            }
        }
    }

    private sealed class RulesCheck(RulesProvider rules) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(rules.Degraded
                ? HealthCheckResult.Degraded("The last edit of the send rules was rejected; the previous rules stay in force: " + string.Join(" | ", rules.Errors))
                : HealthCheckResult.Healthy($"{rules.Current.Rules.Count} rules"));
    }
}
