using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace NpsTriggers.FailPointHook;

/// <summary>
/// The fail points a fault test armed: when the environment variable <see cref="EnvironmentVariable"/> names a point —
/// <c>intake.after-commit</c>, or <c>intake.after-commit@3</c> for the third time it is reached — the process kills
/// itself there with SIGKILL: no finally blocks, no flush, no graceful shutdown, exactly as when a node dies or the
/// kernel's OOM killer strikes (docs/RELIABILITY.md).
/// </summary>
public sealed class ArmedFailPoints(IReadOnlyDictionary<string, int> armed)
{
    public const string EnvironmentVariable = "NPSTRIGGERS_FAILPOINTS";

    private readonly ConcurrentDictionary<string, int> _hits = new(StringComparer.Ordinal);

    /// <summary>Called at every point the service reaches; dies at the armed hit.</summary>
    public void Reached(string name)
    {
        if (!armed.TryGetValue(name, out var at))
            return;
        var hit = _hits.AddOrUpdate(name, 1, (_, n) => n + 1);
        if (hit < at)
            return;
        if (hit > at)
        {
            // The process is dying at the armed hit: a concurrent caller (many sends in flight) must not get past the point
            // in the moment before SIGKILL lands, as it could not in a process that died there.
            Thread.Sleep(Timeout.Infinite);
        }
        Console.Error.WriteLine($"fail point {name} (hit {at}): killing process {Environment.ProcessId} with SIGKILL");
        Console.Error.Flush();
        // On Unix, Process.Kill sends SIGKILL.
        using var self = Process.GetCurrentProcess();
        self.Kill();
        Thread.Sleep(Timeout.Infinite);
    }

    /// <summary>Parses <c>name[@n][,name[@n]…]</c>; null when nothing is armed.</summary>
    public static ArmedFailPoints? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var armed = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var at = item.IndexOf('@', StringComparison.Ordinal);
            if (at < 0)
                armed[item] = 1;
            else if (int.TryParse(item[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
                armed[item[..at]] = n;
            else
                throw new FormatException($"{EnvironmentVariable}: '{item}' is not name or name@count (count ≥ 1).");
        }
        return new ArmedFailPoints(armed);
    }
}
