using System.Globalization;

namespace NpsTriggers.Testing;

/// <summary>Reads a host's <c>/metrics</c> (Prometheus text format).</summary>
public static class MetricsScrape
{
    /// <summary>The sum of every series of <paramref name="name"/>, whatever its labels; 0 when there is none.</summary>
    public static async Task<double> SumAsync(HttpClient http, string name)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(name);
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        return text.Split('\n')
            .Where(line => line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is ' ' or '{')
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}
