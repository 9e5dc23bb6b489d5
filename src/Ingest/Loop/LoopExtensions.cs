using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NpsTriggers.Core.Kafka;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// Closing the loop on each reply: what a response change causes is written with it (<see cref="ResponseOutbox"/>)
/// and then delivered — <c>nps.response.recorded</c> to Kafka (<see cref="OutboxPublisher"/>), alerts to webhooks
/// (<see cref="AlertSender"/>) — and follow-up tasks are worked through <c>/api/follow-ups</c>.
/// </summary>
public static class LoopExtensions
{
    public static IHostApplicationBuilder AddLoop(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration("Outbox").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<AlertOptions>().BindConfiguration("Alerts").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<FollowUpOptions>().BindConfiguration("FollowUps").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<FollowUpStore>();
        builder.Services.AddSingleton<ResponseOutbox>();
        builder.Services.AddSingleton<OutboxStore>();
        builder.Services.AddSingleton<ResponseEventStream>();
        builder.Services.AddSingleton<OutboxMetrics>();
        // Kafka:* options are bound by AddEventIntake, which the ingest role also runs (POST /api/events).
        builder.AddKafka();
        builder.Services.AddHostedService<OutboxPublisher>();
        builder.Services.AddHostedService<OutboxPruner>();
        builder.Services.AddHttpClient(AlertSender.ClientName);
        builder.Services.AddHostedService<AlertSender>();
        builder.Services.AddHealthChecks().AddCheck<OutboxHealthCheck>("outbox");
        return builder;
    }

    public static IEndpointRouteBuilder MapLoop(this IEndpointRouteBuilder app) => app.MapFollowUpsApi();
}
