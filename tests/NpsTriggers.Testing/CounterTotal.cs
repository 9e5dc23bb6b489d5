using System.Diagnostics.Metrics;

namespace NpsTriggers.Testing;

/// <summary>
/// The running total of one <c>long</c> counter, summed over every meter of that name in this process (each in-process
/// host creates its own), from construction on. Cheap enough to poll in a tight loop, unlike <c>count(*)</c>.
/// </summary>
public sealed class CounterTotal : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    public CounterTotal(string meterName, string instrumentName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Name == instrumentName)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
        _listener.Start();
    }

    public long Value => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
