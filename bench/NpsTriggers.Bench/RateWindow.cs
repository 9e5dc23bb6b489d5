namespace NpsTriggers.Bench;

/// <summary>Issue 4's measure: sends per second over a minute, after a warm-up, within 5 % of the configured rate.</summary>
public static class RateWindow
{
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    /// <summary>Enough for warm-up, window and a tail, so the window lies wholly inside the sending.</summary>
    public static int InvitationsFor(double perSecond) => (int)Math.Ceiling(perSecond * (WarmUp + Window + TimeSpan.FromSeconds(10)).TotalSeconds);

    /// <summary>Prints the window's figures and returns achieved / configured.</summary>
    public static double Report(Arrivals arrivals, double perSecond)
    {
        ArgumentNullException.ThrowIfNull(arrivals);
        if (arrivals.Span < (WarmUp + Window).TotalSeconds)
            throw new InvalidOperationException($"Sending lasted {arrivals.Span:F1} s, less than warm-up and window.");
        var inWindow = arrivals.Between(WarmUp, Window);
        var achieved = inWindow / Window.TotalSeconds;
        // The slowest and fastest second in the window show how even the rate is, not only its mean.
        var seconds = Enumerable.Range(0, (int)Window.TotalSeconds).Select(i => arrivals.Between(WarmUp + TimeSpan.FromSeconds(i), TimeSpan.FromSeconds(1))).ToArray();
        Console.WriteLine($"  {arrivals.Count:N0} messages received over {arrivals.Span:F1} s; overall {arrivals.Rate:F2}/s");
        Console.WriteLine($"  window {WarmUp.TotalSeconds:F0}-{(WarmUp + Window).TotalSeconds:F0} s after the first message: {inWindow:N0} messages = {achieved:F2}/s (configured {perSecond}/s); per second min {seconds.Min()}, max {seconds.Max()}");
        var ratio = achieved / perSecond;
        Console.WriteLine($"  ratio achieved / configured = {ratio:P2}: {(Math.Abs(ratio - 1) <= 0.05 ? "PASS" : "FAIL")} (within 5 %)");
        return ratio;
    }
}
