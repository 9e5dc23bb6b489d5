using System.Collections.Concurrent;
using Npgsql;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Ingest.Replies.Pages;

/// <summary>
/// The survey page's one read, in groups: a score link's page is the first of a click's two requests, so pages arrive
/// in bursts like the answers do. A read joins a queue; up to <see cref="Loops"/> loops each take what has gathered (up
/// to <see cref="MaxBatch"/>) and read it in one prepared statement on one connection. Nothing waits for a timer: a lone
/// read runs at once. One statement per page, each on its own connection, held 64 concurrent clicks at a third of the
/// answers' rate, spending PostgreSQL's two cores on switching between backends (docs/BENCHMARKS.md, "Reply ingest").
/// </summary>
public sealed class SurveyPageReads(NpgsqlDataSource dataSource)
{
    internal const int MaxBatch = 256;
    internal const int Loops = 2;

    private const string Read = $"""
        select t.id, i.survey, i.locale, r.score, r.comment, r.contact_consent, i.expires_at,
               i.state in ('{InvitationState.Sent}', '{InvitationState.Answered}') and i.erased_at is null
        from unnest(@ids) t (id)
        join invitations i on i.id = t.id
        left join responses r on r.invitation_id = i.id
        """;

    private readonly ConcurrentQueue<(Guid Id, TaskCompletionSource<SurveyPageState?> Done)> _queue = new();
    private int _running;

    /// <summary>The page's state for an invitation; null when there is no such invitation.</summary>
    public Task<SurveyPageState?> ReadAsync(Guid invitationId, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<SurveyPageState?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Enqueue((invitationId, done));
        if (Interlocked.Increment(ref _running) <= Loops)
            _ = Task.Run(LoopAsync, CancellationToken.None);
        else
            Interlocked.Decrement(ref _running);
        return done.Task.WaitAsync(cancellationToken);
    }

    private async Task LoopAsync()
    {
        var batch = new List<(Guid Id, TaskCompletionSource<SurveyPageState?> Done)>(MaxBatch);
        while (true)
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.TryDequeue(out var next))
                batch.Add(next);
            if (batch.Count == 0)
            {
                Interlocked.Decrement(ref _running);
                // A read queued after the last look, while this loop still counted as running, must not wait for the next one.
                if (_queue.IsEmpty)
                    return;
                if (Interlocked.Increment(ref _running) > Loops)
                {
                    Interlocked.Decrement(ref _running);
                    return;
                }
                continue;
            }
            try
            {
                var states = await ReadBatchAsync(batch);
                foreach (var (id, done) in batch)
                    done.TrySetResult(states.GetValueOrDefault(id));
            }
            catch (Exception e)
            {
                // Every page of the group fails with the cause (a 500 each); the next group tries again.
                foreach (var (_, done) in batch)
                    done.TrySetException(e);
            }
        }
    }

    private async Task<Dictionary<Guid, SurveyPageState>> ReadBatchAsync(List<(Guid Id, TaskCompletionSource<SurveyPageState?> Done)> batch)
    {
        // The group is not one request's alone, so no request's cancellation stops it.
        var cancellationToken = CancellationToken.None;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(Read, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. batch.Select(b => b.Id).Distinct()]));
        await command.PrepareAsync(cancellationToken);
        var states = new Dictionary<Guid, SurveyPageState>(batch.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            states[reader.GetGuid(0)] = new SurveyPageState(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetInt16(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetBoolean(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.GetBoolean(7));
        return states;
    }
}
