using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace NpsTriggers.Bench;

/// <summary>
/// Due invitations written straight into the service's <c>invitations</c> table with binary COPY, as intake would have
/// left them (state <c>scheduled</c>, due a minute ago), each for a different person so the recontact throttle never
/// suppresses one. Going through intake would only add its own, separately benchmarked, cost before the clock starts.
/// </summary>
public static class DueInvitations
{
    /// <summary>A send-rules file with one SMS and one email rule on the same survey.</summary>
    public const string Rules = """
        version: 1
        throttle: { global: 1h, survey: 1h }
        surveys:
          support:
            subject: 'Hi {{ recipient.name }}, how did we do with ticket {{ data.ticketId }}?'
            question: How likely are you to recommend Acme support to a friend or colleague?
        rules:
          - { name: ticket-sms, on: ticket.closed, survey: support, channel: sms, delay: 1h, keep: [ticketId], reminders: { count: 0 } }
          - { name: ticket-email, on: ticket.closed, survey: support, channel: email, delay: 1h, keep: [ticketId], reminders: { count: 0 } }
        """;

    /// <summary>A German mobile number, different for each <paramref name="i"/> (valid for libphonenumber).</summary>
    public static string Phone(int i) => $"+49151{10_000_000 + i}";

    public static Task InsertAsync(NpgsqlDataSource data, string channel, int count, string prefix) =>
        InsertAsync(data, channel, count, prefix, TimeProvider.System.GetUtcNow().AddMinutes(-1), static (_, due) => due);

    /// <summary>As <see cref="InsertAsync(NpgsqlDataSource, string, int, string)"/>, each due at <paramref name="due"/>(i, <paramref name="first"/>).</summary>
    public static async Task InsertAsync(NpgsqlDataSource data, string channel, int count, string prefix, DateTimeOffset first, Func<int, DateTimeOffset, DateTimeOffset> due)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(due);
        var now = TimeProvider.System.GetUtcNow();
        await using var connection = await data.OpenConnectionAsync();
        await using var writer = await connection.BeginBinaryImportAsync(
            "copy invitations (id, event_source, event_id, event_type, rule, survey, channel, customer_id, email, phone, name, locale, time_zone, attributes, state, created_at, due_at, valid_for) from stdin (format binary)");
        for (var i = 0; i < count; i++)
        {
            writer.StartRow();
            writer.Write(Guid.CreateVersion7(now), NpgsqlDbType.Uuid);
            writer.Write("/support/tickets", NpgsqlDbType.Text);
            writer.Write($"{prefix}-{i}", NpgsqlDbType.Text);
            writer.Write("ticket.closed", NpgsqlDbType.Text);
            writer.Write(channel == "sms" ? "ticket-sms" : "ticket-email", NpgsqlDbType.Text);
            writer.Write("support", NpgsqlDbType.Text);
            writer.Write(channel, NpgsqlDbType.Text);
            writer.Write($"{prefix}-c{i}", NpgsqlDbType.Text);
            writer.Write($"{prefix}-customer{i}@example.com", NpgsqlDbType.Text);
            writer.Write(Phone(i), NpgsqlDbType.Text);
            writer.Write("Bo", NpgsqlDbType.Text);
            writer.Write("en-GB", NpgsqlDbType.Text);
            writer.Write("Europe/Berlin", NpgsqlDbType.Text);
            writer.Write(JsonSerializer.Serialize(new { ticketId = $"T-{i}" }), NpgsqlDbType.Jsonb);
            writer.Write("scheduled", NpgsqlDbType.Text);
            writer.Write(now.AddHours(-1), NpgsqlDbType.TimestampTz);
            writer.Write(due(i, first), NpgsqlDbType.TimestampTz);
            writer.Write(TimeSpan.FromDays(7), NpgsqlDbType.Interval);
        }
        await writer.CompleteAsync();
    }

    /// <summary>Invitations already sent (valid for 7 days, with the contact recorded as a real send does), as replies find them: <see cref="InsertAsync(NpgsqlDataSource, string, int, string)"/>, then marked sent.</summary>
    public static async Task InsertSentAsync(NpgsqlDataSource data, int count, string prefix)
    {
        await InsertAsync(data, "email", count, prefix);
        await using var sent = data.CreateCommand(
            "update invitations set state = 'sent', contacted_at = now(), sent_at = now(), expires_at = now() + interval '7 days', message_id = id::text where event_id like @prefix");
        sent.Parameters.AddWithValue("prefix", prefix + "-%");
        await sent.ExecuteNonQueryAsync();
    }

    /// <summary>Polls <see cref="CountAsync"/> once a second until it reaches <paramref name="expected"/>.</summary>
    public static async Task WaitForCountAsync(NpgsqlDataSource data, string where, long expected, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await CountAsync(data, where) < expected)
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"Fewer than {expected:N0} invitations where {where} after {timeout}.");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    public static async Task<long> CountAsync(NpgsqlDataSource data, string where)
    {
        ArgumentNullException.ThrowIfNull(data);
        await using var command = data.CreateCommand($"select count(*) from invitations where {where}");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
