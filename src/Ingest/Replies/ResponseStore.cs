using Npgsql;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Ingest.Replies;

/// <summary>What a score link found.</summary>
public enum RecordOutcome { Recorded, Unchanged, Changed, Unknown, Closed }

/// <summary>Score replies, comments and unsubscribes from the survey links and SMS.</summary>
public sealed class ResponseStore(NpgsqlDataSource dataSource, ResponseOutbox outbox, ReplyWriter writer, TimeProvider time)
{
    /// <summary>
    /// Records a score: the invitation is answered (once: answered_at keeps the first answer; its state stays sent until a
    /// sweep meets it, see <see cref="InvitationState"/>), and the response
    /// is inserted or, for a different score, replaced, with its outbox rows in the same transaction. The same score
    /// twice changes nothing. Written in a batch with the replies that arrive alongside (<see cref="ReplyWriter"/>).
    /// </summary>
    public async Task<RecordOutcome> RecordScoreAsync(Guid invitationId, int score, CancellationToken cancellationToken)
    {
        // The reply continues the trace its invitation's send left (NpsTelemetry), whichever channel it came by.
        using var activity = await StartReplySpanAsync(invitationId, cancellationToken);
        // Counted in nps.responses by the writer, once committed (ReplyWriter.CountCommitted).
        var outcome = await writer.RecordScoreAsync(invitationId, score, cancellationToken);
        activity?.SetTag("nps.outcome", outcome.ToString());
        return outcome;
    }

    private async Task<System.Diagnostics.Activity?> StartReplySpanAsync(Guid invitationId, CancellationToken cancellationToken)
    {
        if (!Core.Telemetry.NpsTelemetry.Source.HasListeners())
            return null;
        await using var command = dataSource.CreateCommand("select trace_parent from invitations where id = @id");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        var parent = await command.ExecuteScalarAsync(cancellationToken) as string;
        var activity = Core.Telemetry.NpsTelemetry.StartFrom("reply", parent, System.Diagnostics.ActivityKind.Server);
        activity?.SetTag("nps.invitation_id", invitationId.ToString());
        return activity;
    }

    /// <summary>Sets the "why?" comment; false when the invitation has no response (or is closed) or the comment is unchanged.</summary>
    public async Task<bool> SetCommentAsync(Guid invitationId, string comment, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The same comment posted again is not a change: no new version, no second event.
        await using var command = new NpgsqlCommand($"""
            update responses r set comment = @comment, updated_at = @now, version = r.version + 1
            from invitations i
            where r.invitation_id = @id and i.id = r.invitation_id and {InvitationState.EffectiveSql("i")} = '{InvitationState.Answered}' and i.erased_at is null
              and r.comment is distinct from @comment
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        command.Parameters.Add(new NpgsqlParameter<string>("comment", comment));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
            return false;
        await outbox.AppendAsync(connection, transaction, invitationId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Adds the invitation's address to the suppression list (RFC 8058 one-click unsubscribe).</summary>
    public async Task<bool> UnsubscribeAsync(Guid invitationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            insert into suppressions (channel, address, reason, created_at)
            select channel, lower(coalesce(email, phone)), 'unsubscribed', @now
            from invitations where id = @id and coalesce(email, phone) is not null
            on conflict (channel, address) do nothing
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        await command.ExecuteNonQueryAsync(cancellationToken);
        await using var exists = dataSource.CreateCommand("select exists (select 1 from invitations where id = @id)");
        exists.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken))!;
    }
}
