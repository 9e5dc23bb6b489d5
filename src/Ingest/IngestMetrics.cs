using System.Diagnostics.Metrics;
using NpsTriggers.Core.Nps;

namespace NpsTriggers.Ingest;

/// <summary>Counters of the ingest role (meter <c>NpsTriggers.Ingest</c>).</summary>
public sealed class IngestMetrics
{
    public const string MeterName = "NpsTriggers.Ingest";

    private readonly Counter<long> _responses;

    public IngestMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _responses = meter.CreateCounter<long>("nps.responses", description: "Scores recorded or changed, by NPS category");
    }

    public void Response(int score, string change) => _responses.Add(1,
        new KeyValuePair<string, object?>("category", NpsSummary.Categorise(score).ToString().ToLowerInvariant()),
        new KeyValuePair<string, object?>("change", change));
}
