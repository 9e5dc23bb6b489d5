using NpsTriggers.Core.Sms;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace NpsTriggers.Dispatch.Sms;

public static class SmsExtensions
{
    public static IServiceCollection AddSms(this IServiceCollection services)
    {
        services.AddTwilioOptions();
        services.AddOptions<SmsOptions>().BindConfiguration("Sms").ValidateDataAnnotations().ValidateOnStart();
        // The Twilio SDK sends through this client: the bridge first (base address, the caller's cancellation, error
        // pages), then the resilience pipeline.
        services.AddHttpClient<TwilioClient>()
            // One HTTP/1.1 connection per call in flight: as many as Sms:MaxInFlight lets the send jobs start, and no more.
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                MaxConnectionsPerServer = sp.GetRequiredService<IOptions<SmsOptions>>().Value.MaxInFlight,
            })
            .AddHttpMessageHandler(sp => new TwilioSdkBridge(sp.GetRequiredService<IOptions<TwilioOptions>>().Value))
            .AddResilienceHandler("twilio", (pipeline, context) =>
            {
                // Timeouts and retry delays are about the network, not business time: they run on the real clock
                // even when the service's TimeProvider is a test's fake one.
                pipeline.TimeProvider = TimeProvider.System;
                pipeline.AddTimeout(TimeSpan.FromSeconds(30));
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 3,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(200),
                    // Only what Twilio cannot have accepted: a 429 (honouring Retry-After) or a refused connection.
                    // A timeout or 5xx may hide an accepted message, so it goes back to the invitation's own backoff.
                    ShouldHandle = args => ValueTask.FromResult(
                        args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests
                        || args.Outcome.Exception is HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } }),
                });
                pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = 0.5,
                    MinimumThroughput = 10,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    BreakDuration = context.ServiceProvider.GetRequiredService<IOptions<TwilioOptions>>().Value.CircuitBreakDuration,
                    OnOpened = _ => context.ServiceProvider.GetRequiredService<DispatchMetrics>().Circuit("twilio", 2),
                    OnHalfOpened = _ => context.ServiceProvider.GetRequiredService<DispatchMetrics>().Circuit("twilio", 1),
                    OnClosed = _ => context.ServiceProvider.GetRequiredService<DispatchMetrics>().Circuit("twilio", 0),
                });
                pipeline.AddTimeout(TimeSpan.FromSeconds(10));
            });
        return services;
    }
}
