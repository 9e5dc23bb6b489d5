namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// Rows another feature keeps for a while (Twilio's webhook receipts) that <see cref="OutboxPruner"/> deletes on its
/// tick: one chore covers every retention of the ingest role, and the outbox does not need to know the feature.
/// </summary>
public interface IPrunedWithOutbox
{
    /// <summary>Deletes a bounded batch of rows past their retention; the count deleted.</summary>
    Task<int> PruneAsync(CancellationToken cancellationToken);
}
