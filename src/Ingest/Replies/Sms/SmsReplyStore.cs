using Npgsql;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Ingest.Replies.Sms;

/// <summary>The database side of Twilio's webhooks: delivery status, opt-outs and SMS replies.</summary>
public sealed class SmsReplyStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    private static readonly string SmsChannel = InvitationChannel.Sms.Column();

    // Callbacks arrive out of order and are retried: a status only ever moves forward.
    private const string Rank = """
        case {0} when 'accepted' then 1 when 'queued' then 1 when 'sending' then 2 when 'sent' then 3
                 when 'delivered' then 4 when 'undelivered' then 4 when 'failed' then 4 when 'read' then 5 else 0 end
        """;

    /// <summary>
    /// Records a delivery status; false when it is stale or a replay (the stored status is as far or further). With
    /// <paramref name="resendAfter"/> (Twilio 30001, queue overflow: the message expired in Twilio's queue and never
    /// reached the person) the invitation also goes back to scheduled, in the same transaction, for a new send that
    /// is not a duplicate. The old message id stays until then, so a replayed callback remains a no-op. A first text's
    /// 30001 that arrives after a reminder went out is only recorded: the reminder carries the survey, and sending the
    /// first text again would contact the person twice; so is one for an invitation already answered (a reply proves the
    /// survey arrived; its state is still sent until a sweep moves it, <see cref="InvitationState"/>).
    /// With <paramref name="invitation"/> (from the callback URL), a status for a message no invitation records yet —
    /// its send was accepted by Twilio but never confirmed, as when the dispatch process died in between — is kept
    /// with that invitation as <c>accepted_message_id</c>, so its re-claimed send records it instead of texting again.
    /// </summary>
    public async Task<bool> RecordStatusAsync(string messageSid, string status, string? errorCode, TimeSpan? resendAfter, CancellationToken cancellationToken,
        Guid? invitation = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = ForwardStatus("invitations", connection, tx, messageSid, status, errorCode);
        var recorded = await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        if (!recorded && await RecordReminderStatusAsync(connection, tx, messageSid, status, errorCode, resendAfter, cancellationToken))
        {
            await tx.CommitAsync(cancellationToken);
            return true;
        }
        if (!recorded && invitation is { } unconfirmed)
        {
            await using var accepted = new NpgsqlCommand($"""
                update invitations
                set accepted_message_id = @sid, delivery_status = @status, delivery_error = @error, delivery_updated_at = @now
                where id = @invitation and channel = '{SmsChannel}' and state in ('{InvitationState.Sending}', '{InvitationState.Scheduled}')
                  and message_id is distinct from @sid
                  and (accepted_message_id is distinct from @sid
                       or {string.Format(System.Globalization.CultureInfo.InvariantCulture, Rank, "@status")} > {string.Format(System.Globalization.CultureInfo.InvariantCulture, Rank, "coalesce(delivery_status, '')")})
                """, connection, tx);
            accepted.Parameters.AddWithValue("invitation", unconfirmed);
            accepted.Parameters.AddWithValue("sid", messageSid);
            accepted.Parameters.AddWithValue("status", status);
            accepted.Parameters.Add(new NpgsqlParameter("error", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)errorCode ?? DBNull.Value });
            accepted.Parameters.AddWithValue("now", time.GetUtcNow());
            recorded = await accepted.ExecuteNonQueryAsync(cancellationToken) > 0;
        }
        if (recorded && resendAfter is { } after)
        {
            await using var resend = new NpgsqlCommand($"""
                update invitations
                set state = '{InvitationState.Scheduled}', due_at = @now + @after, sent_at = null, expires_at = null,
                    contacted_at = null, remind_at = null, claim_id = null, accepted_message_id = null,
                    failure_reason = 'Twilio 30001 (queue overflow): the message expired in Twilio''s queue unsent; sending again'
                where message_id = @sid and channel = '{SmsChannel}' and state = '{InvitationState.Sent}' and answered_at is null and reminders_sent = 0
                """, connection, tx);
            resend.Parameters.AddWithValue("sid", messageSid);
            resend.Parameters.AddWithValue("after", after);
            resend.Parameters.AddWithValue("now", time.GetUtcNow());
            await resend.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return recorded;
    }

    /// <summary>
    /// The status of a reminder's own message (<c>reminder_messages</c>), forward only. With <paramref name="resendAfter"/>
    /// (Twilio 30001) the reminder never reached the person: when it is still the invitation's latest and the invitation
    /// is still open (not answered, expired, cancelled or suppressed), it is given back and goes out again after the
    /// pause, under its own number, as a first send would. An earlier reminder's late 30001 changes nothing.
    /// </summary>
    private async Task<bool> RecordReminderStatusAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string messageSid, string status,
        string? errorCode, TimeSpan? resendAfter, CancellationToken cancellationToken)
    {
        await using var command = ForwardStatus("reminder_messages", connection, tx, messageSid, status, errorCode);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            return false;
        if (resendAfter is { } after)
        {
            await using var resend = new NpgsqlCommand($"""
                update invitations i
                set reminders_left = i.reminders_left + 1, reminders_sent = i.reminders_sent - 1, remind_at = @now + @after,
                    failure_reason = 'Twilio 30001 (queue overflow): reminder ' || r.reminder || ' expired in Twilio''s queue unsent; sending it again'
                from reminder_messages r
                where r.message_id = @sid and i.id = r.invitation_id and i.state = '{InvitationState.Sent}' and i.answered_at is null and i.reminders_sent = r.reminder
                  and i.cancelled_by is null and i.expires_at > @now + @after
                """, connection, tx);
            resend.Parameters.AddWithValue("sid", messageSid);
            resend.Parameters.AddWithValue("after", after);
            resend.Parameters.AddWithValue("now", time.GetUtcNow());
            await resend.ExecuteNonQueryAsync(cancellationToken);
        }
        return true;
    }

    /// <summary>
    /// Records a message's delivery status on <paramref name="table"/> (a first send's invitation or a reminder's own
    /// row), only forward: a callback arriving out of order never moves a status back.
    /// </summary>
    private NpgsqlCommand ForwardStatus(string table, NpgsqlConnection connection, NpgsqlTransaction tx, string messageSid, string status, string? errorCode)
    {
        var command = new NpgsqlCommand($"""
            update {table}
            set delivery_status = @status, delivery_error = @error, delivery_updated_at = @now
            where message_id = @sid and channel = '{SmsChannel}'
              and {string.Format(System.Globalization.CultureInfo.InvariantCulture, Rank, "@status")} > {string.Format(System.Globalization.CultureInfo.InvariantCulture, Rank, "coalesce(delivery_status, '')")}
            """, connection, tx);
        command.Parameters.AddWithValue("sid", messageSid);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.Add(new NpgsqlParameter("error", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)errorCode ?? DBNull.Value });
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        return command;
    }

    public async Task OptOutAsync(string phone, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            insert into suppressions (channel, address, reason, created_at) values ('sms', @phone, 'replied STOP', @now)
            on conflict (channel, address) do nothing
            """);
        command.Parameters.AddWithValue("phone", phone);
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task OptInAsync(string phone, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("delete from suppressions where channel = 'sms' and address in (@phone, 'sha256:' || encode(sha256(convert_to(@phone, 'UTF8')), 'hex'))");
        command.Parameters.AddWithValue("phone", phone);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The phone's most recent SMS invitation that can still be answered, or its score changed: sent, answered or not
    /// (an answered one is <c>sent</c> with <c>answered_at</c> until a sweep moves it to <c>answered</c>).
    /// </summary>
    public async Task<(Guid Id, string Survey, string? Locale, bool AwaitingComment)?> OpenInvitationAsync(string phone, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            select id, survey, locale, awaiting_comment from invitations
            where channel = '{SmsChannel}' and phone = @phone and state in ('{InvitationState.Sent}', '{InvitationState.Answered}') and expires_at > @now
            order by sent_at desc
            limit 1
            """);
        command.Parameters.AddWithValue("phone", phone);
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return (reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3));
    }

    /// <summary>
    /// The locale of the latest invitation this number was contacted with, open or not, so that a person whose survey has
    /// closed is still answered in their language (the <c>invitations_contact_phone</c> index serves it); null for none.
    /// </summary>
    public async Task<string?> LatestLocaleAsync(string phone, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select locale from invitations where phone = @phone and contacted_at is not null order by contacted_at desc limit 1
            """);
        command.Parameters.AddWithValue("phone", phone);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task SetAwaitingCommentAsync(Guid invitationId, bool awaiting, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("update invitations set awaiting_comment = @awaiting where id = @id");
        command.Parameters.AddWithValue("id", invitationId);
        command.Parameters.AddWithValue("awaiting", awaiting);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
