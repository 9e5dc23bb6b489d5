using System.Diagnostics.Metrics;
using NpsTriggers.Core.Nps;

namespace NpsTriggers.Ingest.Replies;

/// <summary>Counters of recorded replies (meter <c>NpsTriggers.Ingest</c>, the name it had when it was the ingest role's only meter).</summary>
public sealed class ResponseMetrics
{
    public const string MeterName = "NpsTriggers.Ingest";

    private readonly Counter<long> _responses;

    public ResponseMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _responses = meter.CreateCounter<long>("nps.responses", description: "Scores recorded or changed, by NPS category");
    }

    public void Response(int score, string change) => _responses.Add(1,
        new KeyValuePair<string, object?>("category", NpsSummary.CategoryOf(score)),
        new KeyValuePair<string, object?>("change", change));
}
