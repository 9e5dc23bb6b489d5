namespace NpsTriggers.Bench;

/// <summary>Arrival times at a stand-in (seconds, any origin, sorted), and the rates read from them.</summary>
public sealed class Arrivals(double[] seconds)
{
    private readonly double[] _seconds = [.. seconds.Order()];

    public int Count => _seconds.Length;

    /// <summary>From the first message to the last.</summary>
    public double Span => _seconds[^1] - _seconds[0];

    /// <summary>Messages per second from the first message to the last.</summary>
    public double Rate => (_seconds.Length - 1) / Span;

    /// <summary>Messages in [first + <paramref name="from"/>, first + <paramref name="from"/> + <paramref name="length"/>).</summary>
    public int Between(TimeSpan from, TimeSpan length)
    {
        var start = _seconds[0] + from.TotalSeconds;
        var end = start + length.TotalSeconds;
        return _seconds.Count(s => s >= start && s < end);
    }
}
