namespace NpsTriggers.Ingest.Replies;

/// <summary>What a committed batch of <see cref="ReplyWriter"/> adds to <c>nps.responses</c>.</summary>
public sealed partial class ReplyWriter
{
    /// <summary>
    /// Counts the batch's committed changes, whichever channel each reply came by. Counted here, from what the statements
    /// returned, rather than by each endpoint: a request that stopped waiting still had its reply written, and the
    /// response API's answers pass here too (docs/ARCHITECTURE.md, "Observability").
    /// </summary>
    /// <param name="previous">For each score reply that changed a response, the score it replaced.</param>
    private void CountCommitted(List<Pending> batch, Written[] results, short[] previous)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var pending = batch[i];
            if (pending.Api)
            {
                if (results[i].ApiOutcome == ApiRecordOutcome.Recorded)
                    metrics.Recorded(pending.Score);
            }
            else if (results[i].Score == RecordOutcome.Recorded)
                metrics.Recorded(pending.Score);
            else if (results[i].Score == RecordOutcome.Changed)
                metrics.Changed(previous[i], pending.Score);
        }
    }
}
