using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace NpsTriggers.Bench;

/// <summary>
/// Which types a load allocates, from the runtime's own sampling: the GC raises <c>GCAllocationTick</c> about every
/// 100 KB allocated, naming the type of the object that crossed the mark, so the counts per type are proportional to
/// the bytes each type takes. Only with <c>BENCH_ALLOCATIONS=1</c>, since listening costs time of its own (issue 21).
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private volatile bool _recording;

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("BENCH_ALLOCATIONS") == "1";

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal)
            || eventData.PayloadNames is not { } names)
            return;
        var type = names.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload?[t] as string ?? "?" : "?";
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(eventData.Payload?[a], System.Globalization.CultureInfo.InvariantCulture) : 0;
        _bytes.AddOrUpdate(type, amount, (_, total) => total + amount);
    }

    /// <summary>Starts counting from nothing.</summary>
    public void Start()
    {
        _bytes.Clear();
        _recording = true;
    }

    /// <summary>Stops and prints the <paramref name="top"/> types by sampled bytes, as bytes per request.</summary>
    public void Print(string what, double requests, int top = 25)
    {
        _recording = false;
        var total = _bytes.Values.Sum();
        Console.WriteLine($"    allocations sampled during {what} ({total / Math.Max(1, requests):F0} sampled bytes per request), by type:");
        foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(top))
            Console.WriteLine($"      {bytes / Math.Max(1, requests),8:F0} B/request  {bytes * 100.0 / Math.Max(1, total),5:F1} %  {type}");
    }
}
