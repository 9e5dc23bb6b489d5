using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace NpsTriggers.Core.Faults;

/// <summary>
/// Named crash points for the fault-injection suite (docs/RELIABILITY.md). When the environment variable
/// <c>NPSTRIGGERS_FAILPOINTS</c> names a point — <c>intake.after-commit</c>, or <c>intake.after-commit@3</c> for the
/// third time it is reached — the process kills itself there with SIGKILL: no finally blocks, no flush, no graceful
/// shutdown, exactly as when a node dies or the kernel's OOM killer strikes. Unset (always, in production) a point
/// costs one static field read.
/// </summary>
public static class FailPoints
{
    public const string EnvironmentVariable = "NPSTRIGGERS_FAILPOINTS";

    /// <summary>The triggers role committed a batch's invitations to PostgreSQL and has not stored its Kafka offsets yet.</summary>
    public const string IntakeAfterCommit = "intake.after-commit";

    /// <summary>A provider (SMTP server or Twilio) accepted a message and the dispatch role has not recorded it as sent yet.</summary>
    public const string DispatchAfterProviderAccepted = "dispatch.after-provider-accepted";

    /// <summary>Kafka acknowledged a batch of outbox events and the ingest role has not marked them delivered yet.</summary>
    public const string OutboxAfterPublish = "outbox.after-publish";

    private static readonly Dictionary<string, int>? Armed = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));
    private static readonly ConcurrentDictionary<string, int> Hits = new(StringComparer.Ordinal);

    /// <summary>Marks that execution reached <paramref name="name"/>; dies there when the point is armed.</summary>
    public static void Reached(string name)
    {
        if (Armed is null || !Armed.TryGetValue(name, out var at))
            return;
        if (Hits.AddOrUpdate(name, 1, (_, n) => n + 1) != at)
            return;
        Console.Error.WriteLine($"fail point {name} (hit {at}): killing process {Environment.ProcessId} with SIGKILL");
        Console.Error.Flush();
        // On Unix, Process.Kill sends SIGKILL.
        using var self = Process.GetCurrentProcess();
        self.Kill();
        Thread.Sleep(Timeout.Infinite);
    }

    /// <summary>Parses <c>name[@n][,name[@n]…]</c>; null when nothing is armed.</summary>
    internal static Dictionary<string, int>? Parse(string? text)
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
        return armed;
    }
}
