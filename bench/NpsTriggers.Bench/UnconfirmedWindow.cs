using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace NpsTriggers.Bench;

/// <summary>
/// Collects the dispatcher's own <c>nps.sends.unconfirmed_window</c> histogram (provider call start → <c>sent</c>
/// committed) while it is alive: the window in which a killed process would send a message twice.
/// </summary>
public sealed class UnconfirmedWindow : IDisposable
{
    private readonly ConcurrentBag<double> _values = [];
    private readonly MeterListener _listener = new();

    public UnconfirmedWindow()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "nps.sends.unconfirmed_window")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) => _values.Add(value));
        _listener.Start();
    }

    public string Describe()
    {
        var sorted = _values.Order().ToArray();
        return sorted.Length == 0
            ? "no sends measured"
            : $"{sorted.Length:N0} sends: p50 {sorted[sorted.Length / 2]:N1} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:N1} ms, max {sorted[^1]:N1} ms";
    }

    public void Dispose() => _listener.Dispose();
}
