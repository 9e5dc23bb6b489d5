using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace NpsTriggers.Core.Storage;

/// <summary>
/// The one way to wait out a database that is away (a restart, a failover, a network blip): a Polly pipeline that
/// retries what <see cref="DatabaseErrors.IsTransient"/> calls transient, with exponential backoff and jitter, and
/// nothing else. Waits run on the real clock, like every other I/O wait, even where business time is faked.
/// </summary>
public static class DatabaseRetry
{
    /// <summary>
    /// A pipeline retrying transient database errors from <paramref name="firstDelay"/>, doubling up to
    /// <paramref name="maxDelay"/>. Without <paramref name="within"/> it retries until the caller's token is cancelled;
    /// with it, it gives up (and cancels the attempt in progress) once that much time has passed.
    /// </summary>
    /// <param name="alsoTransient">Further errors the caller knows to be worth waiting out.</param>
    /// <param name="onRetry">
    /// Told of each failure, the delay before the next attempt and the execution's context (for a log line; a caller
    /// that builds the pipeline once passes what the line should name in the context's properties).
    /// </param>
    public static ResiliencePipeline Create(TimeSpan firstDelay, TimeSpan maxDelay, TimeSpan? within = null,
        Func<Exception, bool>? alsoTransient = null, Action<Exception, TimeSpan, ResilienceContext>? onRetry = null)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = TimeProvider.System };
        if (within is { } limit)
            builder.AddTimeout(new TimeoutStrategyOptions { Timeout = limit });
        return builder.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => DatabaseErrors.IsTransient(e) || alsoTransient?.Invoke(e) == true),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = firstDelay,
            MaxDelay = maxDelay,
            OnRetry = args =>
            {
                if (args.Outcome.Exception is { } exception)
                    onRetry?.Invoke(exception, args.RetryDelay, args.Context);
                return ValueTask.CompletedTask;
            },
        }).Build();
    }
}
