using Microsoft.Extensions.DependencyInjection.Extensions;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Storage;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Dispatch;
using NpsTriggers.Ingest;
using NpsTriggers.Core.Access;
using NpsTriggers.Triggers;
using NpsTriggers.Triggers.Http;

namespace NpsTriggers.Host;

/// <summary>Builds the one executable's application for the configured roles; tests build it the same way.</summary>
public static class NpsHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        var roles = HostRoles.From(builder.Configuration);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddStorage();
        builder.AddSendRules();
        builder.AddSurveyLinks();
        builder.Services.AddSingleton(roles);
        builder.Services.AddProductionSafety();
        builder.AddReadiness();
        builder.AddHttpErrors();
        builder.AddObservability(roles);
        if (roles.Triggers)
            builder.AddTriggers();
        if (roles.Dispatch)
        {
            builder.AddDispatch();
            builder.AddRelationalProgrammes();
        }
        if (roles.Ingest)
        {
            builder.AddIngest();
            builder.Services.AddJobsDashboard(roles);
        }

        var app = builder.Build();
        app.UseHttpErrors();
        if (roles.Ingest || roles.Triggers)
            app.UseAccess();
        app.MapHealth();
        app.MapObservability();
        if (roles.Ingest)
        {
            app.MapIngest();
            app.MapJobsDashboard();
        }
        if (roles.Triggers)
            app.MapEventsApi();
        StartupBanner.Register(app, roles);
        return app;
    }
}
