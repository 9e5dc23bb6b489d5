using Hangfire;
using Hangfire.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Storage;
using NpsTriggers.Dispatch.Channels;
using NpsTriggers.Dispatch.Email;
using NpsTriggers.Dispatch.Scheduling;
using NpsTriggers.Dispatch.Sms;
using NpsTriggers.Dispatch.Invitations;

namespace NpsTriggers.Dispatch;

public static class DispatchExtensions
{
    /// <summary>Hangfire on the service's PostgreSQL (schema <c>hangfire</c>), the due-invitation sweep and email sending.</summary>
    public static IHostApplicationBuilder AddDispatch(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<DispatchOptions>().BindConfiguration("Dispatch").ValidateDataAnnotations().ValidateOnStart();
        services.AddEmail();
        services.AddSms();
        services.AddSingleton<DispatchMetrics>();
        services.AddOptions<MetricsOptions>().BindConfiguration("Metrics").Validate(o => o.DatabaseSampleInterval > TimeSpan.Zero, "Metrics:DatabaseSampleInterval must be positive.").ValidateOnStart();
        services.AddHostedService<StateGauges>();
        services.AddSingleton<InvitationStore>();
        services.AddSingleton<InvitationClaims>();
        services.AddSingleton<SendPreparation>();
        services.AddSingleton<SentCommits>();
        services.AddSingleton<SendRecorder>();
        services.AddSingleton<SendFailures>();
        services.AddSingleton<Messages.MessageFactory>();
        services.AddSingleton<EmailChannel>();
        services.AddSingleton<SmsChannel>();
        services.AddSingleton<ChannelSenders>();
        services.AddSingleton<ThrottleGate>();
        services.AddSingleton<InFlightLimits>();
        services.AddSingleton<Limits.SharedRateLimiter>();
        services.AddOptions<Limits.RateLimitOptions>().BindConfiguration("RateLimits")
            .Validate(o => o.Sms.PerSecond > 0 && o.Email.PerSecond > 0, "RateLimits: PerSecond must be greater than 0 for Sms and Email.")
            .Validate(o => o.Sms.Burst >= 1 && o.Email.Burst >= 1, "RateLimits: Burst must be at least 1 for Sms and Email.")
            .ValidateOnStart();
        services.AddTransient<DueInvitationsSweep>();
        services.AddTransient<SendInvitationsJob>();
        services.AddTransient<SendRemindersJob>();
        services.AddTransient<RelationalProgrammeJob>();
        services.AddHangfireStorage();
        services.AddHangfireServer((sp, server) =>
        {
            var dispatch = sp.GetRequiredService<IOptions<DispatchOptions>>().Value;
            server.WorkerCount = dispatch.Workers;
            // The recurring sweep runs every few seconds; the default 15 s polling would hide that.
            server.SchedulePollingInterval = TimeSpan.FromSeconds(1);
            server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
        });
        services.AddHostedService<RecurringJobsRegistration>();
        return builder;
    }

    /// <summary>How long a Hangfire lock row stands before any replica may remove it (Hangfire.PostgreSql's <c>DistributedLockTimeout</c>).</summary>
    internal static readonly TimeSpan HangfireLockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Hangfire's storage in PostgreSQL (schema <c>hangfire</c>). Dispatch runs servers on it; ingest shows its dashboard.</summary>
    public static IServiceCollection AddHangfireStorage(this IServiceCollection services)
    {
        return services.AddHangfire((sp, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(
                pg => pg.UseNpgsqlConnection(sp.GetRequiredService<IOptions<PostgresOptions>>().Value.ConnectionString),
                new PostgreSqlStorageOptions
                {
                    SchemaName = "hangfire",
                    PrepareSchemaIfNecessary = true,
                    // Hangfire.PostgreSql polls every 15 s by default; send jobs should start within a second.
                    QueuePollInterval = TimeSpan.FromSeconds(1),
                    // Send jobs are short; a crashed worker's job is offered again after this.
                    InvisibilityTimeout = TimeSpan.FromMinutes(10),
                    // A lock row whose holder died (SIGKILL, OOM) stands until this expires it, and while it stands no
                    // replica's scheduler enqueues that recurring job: with the default 10 minutes one unlucky kill
                    // paused the sweep, and every send, for 10 minutes. Locks are held for milliseconds, except
                    // RelationalProgrammeJob's for its whole run; a run longer than this no longer keeps a second one out,
                    // which is why a relational run also holds a PostgreSQL session lock of its own (RelationalProgrammes).
                    DistributedLockTimeout = HangfireLockTimeout,
                }));
    }
}
