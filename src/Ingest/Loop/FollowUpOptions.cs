using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Ingest.Loop;

/// <summary>When a follow-up task (every response is one) is due, by category, counted from the first answer. Section <c>FollowUps</c>.</summary>
public sealed class FollowUpOptions
{
    /// <summary>Time to follow up a detractor (0–6).</summary>
    /// <value>Defaults to 3 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan DetractorDue { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Time to follow up a passive (7–8).</summary>
    /// <value>Defaults to 5 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan PassiveDue { get; set; } = TimeSpan.FromDays(5);

    /// <summary>Time to follow up a promoter (9–10).</summary>
    /// <value>Defaults to 7 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan PromoterDue { get; set; } = TimeSpan.FromDays(7);
}
