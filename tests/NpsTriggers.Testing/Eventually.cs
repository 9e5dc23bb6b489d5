namespace NpsTriggers.Testing;

/// <summary>Polls a condition the system reaches asynchronously (a consumer, a Hangfire job), bounded in time.</summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null, string? what = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        using var cts = new CancellationTokenSource(limit);
        T last;
        while (true)
        {
            last = await probe();
            if (done(last))
                return last;
            if (cts.IsCancellationRequested)
                throw new TimeoutException($"Not reached within {limit.TotalSeconds:F0} s: {what ?? "condition"} (last value: {last})");
            await Task.Delay(50, CancellationToken.None);
        }
    }
}
