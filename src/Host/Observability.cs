using NpsTriggers.Core.Telemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Prometheus;

namespace NpsTriggers.Host;

/// <summary>Traces out over OTLP when configured. Section <c>Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    /// <summary>OTLP endpoint for traces (e.g. <c>http://otel-collector:4317</c>); no trace export when empty.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary><c>service.name</c> on every span.</summary>
    /// <value>Defaults to <c>nps-triggers</c>.</value>
    public string ServiceName { get; set; } = "nps-triggers";
}

/// <summary>
/// Metrics at <c>/metrics</c> in Prometheus' text format (prometheus-net publishes every .NET Meter, so the
/// service's instruments need no Prometheus-specific code), and traces over OTLP (docs/ARCHITECTURE.md).
/// </summary>
public static class Observability
{
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder, HostRoles roles)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(roles);
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration("Telemetry");
        // A registry per host, fed only by this host's meters (MeterBridge).
        builder.Services.AddSingleton(_ =>
        {
            var registry = Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
            return registry;
        });
        builder.Services.AddHostedService<MeterBridge>();
        var telemetry = builder.Configuration.GetSection("Telemetry").Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (telemetry.OtlpEndpoint is { } endpoint)
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService(telemetry.ServiceName, serviceInstanceId: Environment.MachineName))
                .WithTracing(tracing => tracing
                    .AddSource(NpsTelemetry.SourceName)
                    .AddOtlpExporter(otlp => otlp.Endpoint = endpoint));
        }
        return builder;
    }

    public static IEndpointRouteBuilder MapObservability(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapMetrics("/metrics", app.ServiceProvider.GetRequiredService<CollectorRegistry>());
        return app;
    }
}
