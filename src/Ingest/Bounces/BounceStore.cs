using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Sms;

namespace NpsTriggers.Ingest.Bounces;

/// <summary>
/// What a bounce or complaint does, in one transaction with its receipt (migration 0019), so a message read twice changes
/// nothing. A permanent bounce of the survey email suppresses the address and fails the sent invitation with the status
/// code — or, for an <c>email-then-sms</c> rule, turns it into an SMS due now, as a refusal at send time does. A bounce of
/// a reminder, or of an invitation already answered or expired, suppresses the address and stops reminders: what the
/// person did with the survey stands. A complaint suppresses and stops reminders; the email was delivered, so the
/// invitation is not failed. Only an invitation the return path names is touched; a report naming none suppresses nobody
/// (anyone can send mail to the bounce address).
/// </summary>
public sealed class BounceStore(NpgsqlDataSource dataSource, TimeProvider time, RulesProvider rules, IOptions<TwilioOptions> twilio)
{
    private static readonly string EmailChannel = InvitationChannel.Email.Column();

    /// <returns>What it did (<c>bounce_receipts.outcome</c>), or null when the message was already processed.</returns>
    public async Task<string?> ApplyAsync(string key, BounceReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // The key first: a concurrent copy of this message waits here, then finds it and does nothing.
        var fresh = await ExecuteAsync(connection, """
            insert into bounce_receipts (key, kind, invitation_id, status, outcome, received_at)
            values (@key, @kind, @invitation, @status, 'pending', @now)
            on conflict (key) do nothing
            """, cancellationToken, ("key", key), ("kind", report.KindName), ("invitation", (object?)report.InvitationId ?? DBNull.Value),
            ("status", (object?)report.Status ?? DBNull.Value), ("now", now));
        if (fresh == 0)
            return null;
        var outcome = await EffectAsync(connection, report, now, cancellationToken);
        await ExecuteAsync(connection, "update bounce_receipts set outcome = @outcome where key = @key", cancellationToken, ("outcome", outcome), ("key", key));
        await tx.CommitAsync(cancellationToken);
        return outcome;
    }

    private async Task<string> EffectAsync(NpgsqlConnection connection, BounceReport report, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (report.Kind is BounceKind.Ignored or BounceKind.Unreadable)
            return report.KindName;
        if (report.InvitationId is not { } id || await ReadAsync(connection, id, cancellationToken) is not { } invitation)
            return "unmatched";
        if (report.Kind == BounceKind.Transient)
            return "counted";
        var complaint = report.Kind == BounceKind.Complaint;
        if (invitation.Email is { Length: > 0 } email)
            await ExecuteAsync(connection, """
                insert into suppressions (channel, address, reason, created_at) values ('email', lower(@address), @reason, @now)
                on conflict (channel, address) do nothing
                """, cancellationToken, ("address", email), ("reason", complaint ? "complained" : "bounced"), ("now", now));
        var what = report.Reminder == 0 ? "the survey email" : $"reminder {report.Reminder}";
        var detail = complaint ? $"{what} was reported as spam ({report.Detail}); address suppressed"
                               : $"{what} bounced ({report.Detail}); address suppressed";
        var outcome = "suppressed";
        var firstSend = !complaint && report.Reminder == 0 && invitation.State == InvitationState.Sent && invitation.Channel == EmailChannel;
        if (firstSend && FallsBackToSms(invitation))
        {
            if (await ExecuteAsync(connection, $"""
                    update invitations set channel = '{InvitationChannel.Sms.Column()}', state = '{InvitationState.Scheduled}', due_at = @now,
                                           failure_reason = @reason, sent_at = null, expires_at = null, message_id = null, accepted_message_id = null,
                                           remind_at = null, contacted_at = null, claimed_until = null, attempts = attempts + 1
                    where id = @id and state = '{InvitationState.Sent}' and answered_at is null and channel = '{EmailChannel}'
                    """, cancellationToken, ("id", id), ("now", now), ("reason", $"email bounced ({report.Detail}); falling back to sms")) > 0)
                (outcome, detail) = ("fell_back_to_sms", detail + "; falling back to sms");
        }
        else if (firstSend)
        {
            if (await CountAsync(connection, $"""
                    with failed as (
                        update invitations set state = '{InvitationState.Failed}', failed_at = @now, failure_reason = @reason,
                                               contacted_at = null, remind_at = null, reminders_left = 0
                        where id = @id and state = '{InvitationState.Sent}' and answered_at is null and channel = '{EmailChannel}'
                        returning id),
                    {HeldInvitations.ReleaseSql}
                    select count(*) from failed
                    """, cancellationToken, ("id", id), ("now", now), ("reason", $"bounced: {report.Detail}")) > 0)
                (outcome, detail) = ("failed", detail + "; invitation failed");
        }
        // Reminders by email only: an invitation that already fell back to SMS keeps its SMS reminders.
        if (outcome == "suppressed" && await ExecuteAsync(connection, $"""
                update invitations set reminders_left = 0, remind_at = null
                where id = @id and state = '{InvitationState.Sent}' and answered_at is null and reminders_left > 0 and channel = '{EmailChannel}'
                """, cancellationToken, ("id", id)) > 0)
            (outcome, detail) = ("reminders_stopped", detail + "; reminders stopped");
        await ExecuteAsync(connection, """
            insert into decisions (event_source, event_id, event_type, rule, customer_id, email, phone, invitation_id, outcome, detail, at)
            select event_source, event_id, event_type, rule, customer_id, email, phone, id, @outcome, @detail, @now from invitations where id = @id
            """, cancellationToken, ("id", id), ("outcome", complaint ? "complained" : "bounced"), ("detail", detail), ("now", now));
        return outcome;
    }

    private bool FallsBackToSms(Row invitation) => SmsFallback.Applies(rules.Current, twilio.Value, invitation.Rule, invitation.Phone);

    private sealed record Row(string Channel, string State, string? Email, string? Phone, string Rule);

    private static async Task<Row?> ReadAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken)
    {
        // Locked, so a reply or a send being recorded at this moment is either seen here or sees this. The state as shown
        // (an answered invitation stays sent until a sweep moves it): a bounce neither fails nor reroutes an answered one.
        await using var command = new NpgsqlCommand($"select channel, {InvitationState.EffectiveSql()}, email, phone, rule from invitations where id = @id for update",
            connection);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return new Row(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4));
    }

    /// <summary>Runs a statement; returns the rows it changed.</summary>
    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] values)
    {
        await using var command = Command(connection, sql, values);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs a statement that selects one count (a data-modifying CTE's rows, which ExecuteNonQuery does not report).</summary>
    private static async Task<long> CountAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] values)
    {
        await using var command = Command(connection, sql, values);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, (string Name, object Value)[] values)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in values)
            command.Parameters.AddWithValue(name, value);
        return command;
    }
}
