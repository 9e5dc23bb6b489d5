using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Core.Kafka;

/// <summary>The Kafka connection, shared by the roles that talk to Kafka without them knowing of each other.</summary>
public static partial class KafkaExtensions
{
    /// <summary>Partitions of each topic the embedded broker creates; several, so consumer-group behaviour is real.</summary>
    public const int EmbeddedPartitions = 3;

    /// <summary>The Kafka address (configured or embedded); every role that talks to Kafka uses it.</summary>
    public static IHostApplicationBuilder AddKafka(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddKafkaOptions();
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

    /// <summary>
    /// Binds and validates section <c>Kafka</c>, once however many areas ask: binding twice would append the configured
    /// topics to the bound ones a second time.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaOptions(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(d => d.ServiceType == typeof(Bound)))
            return builder;
        builder.Services.AddSingleton<Bound>();
        builder.Services.AddOptions<KafkaOptions>().BindConfiguration("Kafka").ValidateDataAnnotations().ValidateOnStart();
        return builder;
    }

    private sealed class Bound;

    [LoggerMessage(Level = LogLevel.Warning, Message = "No Kafka:BootstrapServers configured: started the embedded broker at {BootstrapServers} (development only)")]
    private static partial void LogEmbedded(ILogger logger, string bootstrapServers);
}
