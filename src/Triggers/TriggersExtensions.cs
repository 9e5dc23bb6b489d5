using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Access;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Triggers.Intake;

namespace NpsTriggers.Triggers;

public static class TriggersExtensions
{
    /// <summary>The intake pipeline (parser, rules, batched store) shared by the Kafka consumer and <c>POST /api/events</c>.</summary>
    public static IHostApplicationBuilder AddEventIntake(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddKafkaOptions();
        builder.Services.TryAddSingleton<TriggersMetrics>();
        builder.Services.TryAddSingleton<IntakeStore>();
        builder.Services.TryAddSingleton<IntakeCommitter>();
        builder.Services.TryAddSingleton<InvitationPlanner>();
        builder.Services.TryAddSingleton<IntakePipeline>();
        return builder;
    }

    /// <summary>
    /// The relational programmes (rules with <c>every:</c>), for the processes whose Hangfire servers run them on
    /// schedule (the dispatch role).
    /// </summary>
    public static IHostApplicationBuilder AddRelationalProgrammes(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<Core.Privacy.PersonPseudonyms>();
        builder.Services.TryAddTransient<Core.Invitations.IRelationalProgrammes, Programmes.RelationalProgrammes>();
        return builder;
    }

    /// <summary>
    /// <c>POST /api/events</c>, the HTTP door to the same intake pipeline, behind the keys of section <c>EventsApi</c>
    /// (policy <see cref="KeyPolicies.Events"/>); map it with <see cref="Http.EventsEndpoints.MapEventsApi"/>.
    /// </summary>
    public static IHostApplicationBuilder AddEventsApi(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddEventIntake();
        builder.Services.AddOptions<Http.EventsApiOptions>().BindConfiguration("EventsApi").ValidateDataAnnotations().ValidateOnStart();
        builder.AddKeys(KeyPolicies.Events, sp => sp.GetRequiredService<IOptions<Http.EventsApiOptions>>().Value.ApiKeys);
        return builder;
    }

    /// <summary>The business-event consumer, <c>POST /api/events</c>, and the intake pipeline behind both.</summary>
    public static IHostApplicationBuilder AddTriggers(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddEventsApi();
        builder.AddKafka();
        builder.Services.TryAddSingleton<KafkaRecordReader>();
        builder.Services.AddSingleton<KafkaIntakeService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KafkaIntakeService>());
        return builder;
    }
}
