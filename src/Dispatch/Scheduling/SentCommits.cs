using NpsTriggers.Dispatch.Invitations;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// Group commit of first sends' <c>sent</c> records. With many provider calls in flight, each answered call used to commit
/// on its own connection: some seventy concurrent single-row transactions on the invitations table, which cost PostgreSQL
/// more CPU per send than the send itself on a small machine and stretched the duplicate window's tail to seconds
/// (issue 21). Calls whose provider accepted hand their record here; one writer per process records every record that
/// is waiting in one statement (<see cref="InvitationStore.MarkSentAsync(IReadOnlyList{InvitationStore.SentMark}, CancellationToken)"/>),
/// and the next batch forms while it runs. Each caller still learns whether its own row moved, and still awaits its
/// commit before its call counts as done; a failed batch fails each of its callers, whose retries submit again.
/// </summary>
public sealed class SentCommits(InvitationStore store)
{
    /// <summary>The most records one statement carries.</summary>
    private const int MaxBatch = 256;

    private readonly Lock _lock = new();
    private readonly Queue<Pending> _waiting = new();
    private bool _writing;

    /// <summary>Records <paramref name="mark"/> in the next batch; true when its invitation moved to <c>sent</c>.</summary>
    public Task<bool> MarkSentAsync(InvitationStore.SentMark mark, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mark);
        var pending = new Pending(mark);
        bool start;
        lock (_lock)
        {
            _waiting.Enqueue(pending);
            start = !_writing;
            _writing = true;
        }
        if (start)
            _ = Task.Run(WriteLoopAsync, CancellationToken.None);
        // A caller that stops waiting does not take its record back: once queued it is written, as a statement already
        // sent would be.
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (true)
        {
            batch.Clear();
            lock (_lock)
            {
                while (batch.Count < MaxBatch && _waiting.TryDequeue(out var next))
                    batch.Add(next);
                if (batch.Count == 0)
                {
                    _writing = false;
                    return;
                }
            }
            try
            {
                var moved = await store.MarkSentAsync([.. batch.Select(p => p.Mark)], CancellationToken.None);
                foreach (var pending in batch)
                    pending.Done.TrySetResult(moved.Contains(pending.Mark.Invitation.Id));
            }
            catch (Exception e)
            {
                foreach (var pending in batch)
                    pending.Done.TrySetException(e);
            }
        }
    }

    private sealed record Pending(InvitationStore.SentMark Mark)
    {
        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
