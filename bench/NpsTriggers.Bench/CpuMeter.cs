using System.Diagnostics;
using System.Globalization;

namespace NpsTriggers.Bench;

/// <summary>
/// CPU time spent by this process and by a PostgreSQL cluster (the postmaster, its live backends, and the backends it
/// has reaped), read from /proc. On a shared machine requests/s moves with whatever else runs; the CPU time a request
/// costs moves far less, so a change is compared by it (issue 21, docs/BENCHMARKS.md).
/// </summary>
public sealed class CpuMeter(string postgresDataDirectory)
{
    /// <summary>
    /// CPU time so far of this process, of the cluster, and of this process's children that have exited and been waited
    /// for; and the time every core of the machine was idle (or waiting for I/O).
    /// </summary>
    public readonly record struct Reading(TimeSpan Process, TimeSpan Postgres, TimeSpan Children, TimeSpan Idle);

    // /proc reports clock ticks; Linux's USER_HZ is 100 on every architecture .NET runs on.
    private const double TicksPerSecond = 100;

    public Reading Read()
    {
        using var self = Process.GetCurrentProcess();
        var children = Fields(Environment.ProcessId) is { } own ? Sum(own, 13, 14) : 0;
        return new Reading(self.TotalProcessorTime, Seconds(PostgresTicks()), Seconds(children), Seconds(IdleTicks()));
    }

    private static TimeSpan Seconds(long ticks) => TimeSpan.FromSeconds(ticks / TicksPerSecond);

    /// <summary>The idle and I/O-wait ticks of every core, from the first line of /proc/stat (<c>cpu user nice system idle iowait …</c>).</summary>
    private static long IdleTicks()
    {
        var total = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(total[4], CultureInfo.InvariantCulture) + long.Parse(total[5], CultureInfo.InvariantCulture);
    }

    private long PostgresTicks()
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(postgresDataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        // The postmaster's own time and its reaped children's (cutime, cstime), then every live child's.
        var ticks = Fields(postmaster) is { } own ? Sum(own, 11, 12) + Sum(own, 13, 14) : 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == postmaster)
                continue;
            if (Fields(pid) is { } fields && fields[1] == postmaster.ToString(CultureInfo.InvariantCulture))
                ticks += Sum(fields, 11, 12);
        }
        return ticks;
    }

    private static long Sum(string[] fields, int first, int second) =>
        long.Parse(fields[first], CultureInfo.InvariantCulture) + long.Parse(fields[second], CultureInfo.InvariantCulture);

    /// <summary>The fields of /proc/pid/stat after the command name (state is [0], ppid [1], utime [11]); null when gone.</summary>
    private static string[]? Fields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name is in parentheses and may contain spaces: the fields start after the last ')'.
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
