using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Core.Access;

/// <summary>
/// Failed key checks per client address in a fixed window (<see cref="RequestRateLimitOptions.FailedKeyChecks"/> per
/// <see cref="RequestRateLimitOptions.FailedKeyWindow"/>). An address that used them up is held to the stricter
/// <see cref="RequestRateLimitOptions.AfterFailedKeys"/> limit on keyed endpoints until the window ends. Kept per
/// process: each ingest replica counts what it sees, which bounds guessing just as well. Idle addresses are forgotten.
/// </summary>
public sealed class KeyFailures : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures;

    public KeyFailures(IOptions<RequestRateLimitOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.FailedKeyChecks, Window = settings.FailedKeyWindow, QueueLimit = 0 }));
    }

    public void Record(string address)
    {
        using var _ = _failures.AttemptAcquire(address);
    }

    /// <summary>Whether <paramref name="address"/> failed every check it was allowed in the current window.</summary>
    public bool Exhausted(string address) => _failures.GetStatistics(address) is { CurrentAvailablePermits: <= 0 };

    public void Dispose() => _failures.Dispose();
}
