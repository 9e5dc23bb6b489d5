using System.Diagnostics.Metrics;
using NpsTriggers.Core.Nps;

namespace NpsTriggers.Ingest.Replies;

/// <summary>
/// Counters of recorded replies (meter <c>NpsTriggers.Ingest</c>, the name it had when it was the ingest role's only
/// meter). <c>nps.responses</c> counts committed score changes of every channel alike (score links, the survey page,
/// SMS replies, the response API), labelled by <c>category</c> and <c>change</c>: <c>recorded</c> is a first answer
/// (one per response), <c>changed</c> a different score replacing it, counted in the new score's category, and
/// <c>replaced</c> the same change in the old score's category. So per category, recorded + changed − replaced is the
/// number of responses the reports count (each response once, with its latest score). It has no channel label: the
/// response API's channel is free text, and a label per value would grow without bound.
/// </summary>
public sealed class ResponseMetrics
{
    public const string MeterName = "NpsTriggers.Ingest";

    private readonly Counter<long> _responses;

    public ResponseMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _responses = meter.CreateCounter<long>("nps.responses",
            description: "Committed score changes of every channel, by NPS category: recorded (first answer), changed (new score), replaced (old score)");
    }

    /// <summary>A first answer was committed.</summary>
    public void Recorded(int score) => Add(score, "recorded");

    /// <summary>A committed answer replaced <paramref name="previous"/> with a different <paramref name="score"/>.</summary>
    public void Changed(int previous, int score)
    {
        Add(score, "changed");
        Add(previous, "replaced");
    }

    private void Add(int score, string change) => _responses.Add(1,
        new KeyValuePair<string, object?>("category", NpsSummary.CategoryOf(score)),
        new KeyValuePair<string, object?>("change", change));
}
