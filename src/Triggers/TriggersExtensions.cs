using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NpsTriggers.Triggers.Intake;
using NpsTriggers.Triggers.Kafka;

namespace NpsTriggers.Triggers;

public static partial class TriggersExtensions
{
    /// <summary>Partitions of each topic the embedded broker creates; several, so consumer-group behaviour is real.</summary>
    public const int EmbeddedPartitions = 3;

    /// <summary>The Kafka address (configured or embedded); every role that talks to Kafka uses it.</summary>
    public static IHostApplicationBuilder AddKafka(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // TryAdd: the triggers role and the ingest role's outbox publisher both ask for it, and share one.
        builder.Services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<KafkaOptions>>().Value;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("NpsTriggers.Kafka");
            KafkaBootstrap? bootstrap = null;
            bootstrap = new KafkaBootstrap(() =>
            {
                if (!string.IsNullOrWhiteSpace(options.BootstrapServers))
                    return options.BootstrapServers;
                var cluster = MockKafkaCluster.Start();
                foreach (var topic in options.Topics)
                    cluster.CreateTopic(topic, EmbeddedPartitions);
                bootstrap!.Own(cluster);
                LogEmbedded(logger, cluster.BootstrapServers);
                if (!string.IsNullOrWhiteSpace(options.EmbeddedBootstrapFile))
                    File.WriteAllText(options.EmbeddedBootstrapFile, cluster.BootstrapServers);
                return cluster.BootstrapServers;
            });
            return bootstrap;
        });
        return builder;
    }

    /// <summary>The intake pipeline (parser, rules, batched store) shared by the Kafka consumer and <c>POST /api/events</c>.</summary>
    public static IHostApplicationBuilder AddEventIntake(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<KafkaOptions>().BindConfiguration("Kafka").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<Http.EventsApiOptions>().BindConfiguration("EventsApi").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<TriggersMetrics>();
        builder.Services.TryAddSingleton<IntakeStore>();
        builder.Services.TryAddSingleton<IntakeCommitter>();
        builder.Services.TryAddSingleton<InvitationPlanner>();
        return builder;
    }

    /// <summary>The business-event consumer and the intake pipeline behind it.</summary>
    public static IHostApplicationBuilder AddTriggers(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddEventIntake();
        builder.AddKafka();
        builder.Services.TryAddSingleton<KafkaRecordReader>();
        builder.Services.AddSingleton<KafkaIntakeService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KafkaIntakeService>());
        return builder;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No Kafka:BootstrapServers configured: started the embedded broker at {BootstrapServers} (development only)")]
    private static partial void LogEmbedded(ILogger logger, string bootstrapServers);
}
