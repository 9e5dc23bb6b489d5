using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;

namespace NpsTriggers.Dispatch.Email;

public static class EmailExtensions
{
    public const string SmtpPipeline = "smtp";

    public static IServiceCollection AddEmail(this IServiceCollection services)
    {
        services.AddOptions<EmailOptions>().BindConfiguration("Email").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SmtpOptions>().BindConfiguration("Smtp").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EmailComposer>();
        services.AddSingleton<SmtpConnectionPool>();
        services.AddSingleton<IEmailTransportFactory, EmailTransportFactory>();
        services.AddResiliencePipeline(SmtpPipeline, (pipeline, context) =>
        {
            // Delays and break durations are about the network, not business time: the real clock, even under a
            // test's fake TimeProvider. Each SMTP command has its own timeout (Smtp:Timeout) inside MailKit.
            pipeline.TimeProvider = TimeProvider.System;
            pipeline.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                // Only what cannot have delivered the message (no connection, or an explicit 4xx refusal). A
                // connection lost mid-message goes back to the invitation's own backoff instead.
                ShouldHandle = new PredicateBuilder().Handle<EmailSendException>(e => e is { Permanent: false, Refused: true }),
            });
            pipeline.AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 10,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = context.ServiceProvider.GetRequiredService<IOptions<SmtpOptions>>().Value.CircuitBreakDuration,
                ShouldHandle = new PredicateBuilder().Handle<EmailSendException>(e => !e.Permanent),
                OnOpened = _ => Metrics(context).Circuit(SmtpPipeline, 2),
                OnHalfOpened = _ => Metrics(context).Circuit(SmtpPipeline, 1),
                OnClosed = _ => Metrics(context).Circuit(SmtpPipeline, 0),
            });
            Metrics(context).Circuits.TryAdd(SmtpPipeline, 0);
        });
        return services;
    }

    private static DispatchMetrics Metrics(Polly.DependencyInjection.AddResiliencePipelineContext<string> context) =>
        context.ServiceProvider.GetRequiredService<DispatchMetrics>();

    private sealed class EmailTransportFactory(IOptions<SmtpOptions> options, SmtpConnectionPool pool, ResiliencePipelineProvider<string> pipelines)
        : IEmailTransportFactory
    {
        public async Task<IEmailTransport> CreateAsync(CancellationToken cancellationToken) =>
            string.IsNullOrWhiteSpace(options.Value.PickupDirectory)
                ? new ResilientEmailTransport(await pool.CreateAsync(cancellationToken), pipelines.GetPipeline(SmtpPipeline))
                : new PickupDirectoryEmailTransport(options.Value.PickupDirectory);
    }
}
