namespace NpsTriggers.Ingest.Bounces;

/// <summary>What a message in the bounce mailbox is. The names are the <c>kind</c> label of <c>nps.bounces</c> and the
/// <c>bounce_receipts.kind</c> column.</summary>
public enum BounceKind
{
    /// <summary>A delivery status notification (RFC 3464) saying delivery failed for good (<c>Action: failed</c>, status 5.x.x).</summary>
    Permanent,

    /// <summary>A DSN saying delivery is delayed or failed for now (status 4.x.x): counted, nothing suppressed.</summary>
    Transient,

    /// <summary>An abuse report from a feedback loop (RFC 5965 ARF): the person marked the survey as spam.</summary>
    Complaint,

    /// <summary>Nothing to act on: an auto-reply (RFC 3834), a read receipt, a DSN reporting success.</summary>
    Ignored,

    /// <summary>Not a report this reader understands (not MIME, or free text): flagged for a person to look at.</summary>
    Unreadable,
}

/// <summary>
/// One message of the bounce mailbox, read (<see cref="BounceParser"/>): its kind, the invitation it is about (from the
/// return path, or the quoted original's Message-Id), the enhanced status code (RFC 3463) and a readable detail.
/// </summary>
/// <param name="Reminder">0 when the bounced message was the survey itself, n for its n-th reminder.</param>
public sealed record BounceReport(BounceKind Kind, Guid? InvitationId, int Reminder, string? Status, string Detail)
{
    public string KindName => Kind.ToString().ToLowerInvariant();
}
