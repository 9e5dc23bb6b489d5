using System.Diagnostics;

namespace NpsTriggers.Bench;

/// <summary>
/// Samples, every 50 ms, how late a timer continuation runs on the thread pool and how many work items wait there, plus
/// the GC's pauses: the benchmark's stand-ins run in the dispatch host's process, so a stall here delays both the sends
/// and the arrivals the benchmark counts (issue 21).
/// </summary>
public sealed class StallProbe : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(double LagMs, long Queued)> _samples = [];
    private readonly TimeSpan _gcPauseAtStart = GC.GetTotalPauseDuration();
    private readonly int[] _gcAtStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
    private readonly Task _loop;
    private readonly long _jittedAtStart = System.Runtime.JitInfo.GetCompiledMethodCount();
    private readonly TimeSpan _jitTimeAtStart = System.Runtime.JitInfo.GetCompilationTime();
    private readonly long _contentionAtStart = Monitor.LockContentionCount;

    public StallProbe() => _loop = LoopAsync();

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var before = Stopwatch.GetTimestamp();
            try
            {
                await Task.Delay(Interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var lag = (Stopwatch.GetElapsedTime(before) - Interval).TotalMilliseconds;
            lock (_samples)
                _samples.Add((lag, ThreadPool.PendingWorkItemCount));
        }
    }

    public string Describe()
    {
        (double LagMs, long Queued)[] samples;
        lock (_samples)
            samples = [.. _samples];
        if (samples.Length == 0)
            return "no samples";
        var lags = samples.Select(s => s.LagMs).Order().ToArray();
        var queued = samples.Select(s => s.Queued).Order().ToArray();
        return $"timer lag p50 {lags[lags.Length / 2]:F1} ms, p99 {lags[(int)(lags.Length * 0.99)]:F1} ms, max {lags[^1]:F0} ms, "
            + $"samples late by >100 ms: {lags.Count(l => l > 100)} of {lags.Length}; thread-pool queue p99 {queued[(int)(queued.Length * 0.99)]}, max {queued[^1]}, "
            + $"threads {ThreadPool.ThreadCount}; GCs gen0/1/2 {GC.CollectionCount(0) - _gcAtStart[0]}/{GC.CollectionCount(1) - _gcAtStart[1]}/{GC.CollectionCount(2) - _gcAtStart[2]}, "
            + $"paused {(GC.GetTotalPauseDuration() - _gcPauseAtStart).TotalMilliseconds:N0} ms; "
            + $"JIT {System.Runtime.JitInfo.GetCompiledMethodCount() - _jittedAtStart:N0} methods in {(System.Runtime.JitInfo.GetCompilationTime() - _jitTimeAtStart).TotalMilliseconds:N0} ms; "
            + $"lock contentions {Monitor.LockContentionCount - _contentionAtStart:N0}";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
