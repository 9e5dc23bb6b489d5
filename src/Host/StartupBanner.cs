using Microsoft.Extensions.Options;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Dispatch.Email;

namespace NpsTriggers.Host;

/// <summary>Tells whoever started the host where things are: the Kafka address to publish to, the URLs, the mail folder.</summary>
internal static partial class StartupBanner
{
    public static void Register(WebApplication app, HostRoles roles)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("NpsTriggers");
            if (roles.Triggers)
            {
                var kafka = app.Services.GetRequiredService<KafkaBootstrap>();
                var topics = app.Services.GetRequiredService<IOptions<KafkaOptions>>().Value.Topics;
                LogKafka(logger, kafka.BootstrapServers, kafka.Embedded ? " (embedded)" : "", string.Join(",", topics.Distinct()));
            }
            if (roles.Ingest)
                LogUrls(logger, app.Services.GetRequiredService<IOptions<SurveyLinkOptions>>().Value.PublicBaseUrl.TrimEnd('/'));
            if (roles.Dispatch && app.Services.GetRequiredService<IOptions<SmtpOptions>>().Value.PickupDirectory is { Length: > 0 } pickup)
                LogPickup(logger, pickup);
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka bootstrap{Embedded}: {BootstrapServers}  topics: {Topics}")]
    private static partial void LogKafka(ILogger logger, string bootstrapServers, string embedded, string topics);

    [LoggerMessage(Level = LogLevel.Information, Message = "Survey links: {BaseUrl}/s/…  NPS: {BaseUrl}/api/nps  health: {BaseUrl}/healthz/live")]
    private static partial void LogUrls(ILogger logger, string baseUrl);

    [LoggerMessage(Level = LogLevel.Information, Message = "Email is written to {Folder} (Smtp:PickupDirectory)")]
    private static partial void LogPickup(ILogger logger, string folder);
}
