using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace NpsTriggers.Ingest.Bounces;

/// <summary>
/// Readiness of the bounce reader: Degraded while polls keep failing. Degraded, not Unhealthy: replies and pages work
/// without it, and the bounces wait in the mailbox until it is back.
/// </summary>
public sealed class BounceReaderStatus : IHealthCheck
{
    private volatile string? _error;
    private int _failures;

    public void Succeeded()
    {
        _error = null;
        Interlocked.Exchange(ref _failures, 0);
    }

    /// <returns>Consecutive failures so far, this one included.</returns>
    public int Failed(string error)
    {
        _error = error;
        return Interlocked.Increment(ref _failures);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_error is { } error
            ? HealthCheckResult.Degraded($"bounce mailbox: {Volatile.Read(ref _failures)} polls failed in a row; latest: {error}")
            : HealthCheckResult.Healthy("bounce mailbox read (or reader off)"));
}
