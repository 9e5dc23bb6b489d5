using Npgsql;
using NpgsqlTypes;

namespace NpsTriggers.Triggers.Intake;

/// <summary>
/// Writes a batch in one transaction and one round trip: the inbox insert decides which events are new
/// (<c>ON CONFLICT DO NOTHING RETURNING</c>, so duplicates are found by the primary key, never by a racing
/// read), and only the invitations of new events are inserted. Dead letters are keyed by their Kafka position.
/// </summary>
public sealed class IntakeStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const string InsertEvents = """
        with new_events as (
            insert into inbox (source, event_id, type, topic, partition, "offset", received_at)
            select e.source, e.event_id, e.type, e.topic, e.partition, e."offset", @now
            from unnest(@e_source, @e_id, @e_type, @e_topic, @e_partition, @e_offset)
                 as e(source, event_id, type, topic, partition, "offset")
            on conflict do nothing
            returning source, event_id)
        insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, customer_id, email, phone,
                                 name, locale, time_zone, attributes, state, created_at, due_at, valid_for)
        select i.id, i.source, i.event_id, i.type, i.rule, i.survey, i.channel, i.customer_id, i.email, i.phone,
               i.name, i.locale, i.time_zone, i.attributes::jsonb, 'scheduled', @now, i.due_at, i.valid_for
        from unnest(@i_id, @i_source, @i_event_id, @i_type, @i_rule, @i_survey, @i_channel, @i_customer_id, @i_email,
                    @i_phone, @i_name, @i_locale, @i_time_zone, @i_attributes, @i_due_at, @i_valid_for)
             as i(id, source, event_id, type, rule, survey, channel, customer_id, email, phone, name, locale, time_zone,
                  attributes, due_at, valid_for)
        join new_events n on n.source = i.source and n.event_id = i.event_id
        on conflict do nothing
        """;

    private const string InsertDeadLetters = """
        insert into dead_letters (topic, partition, "offset", key, headers, payload, reason, received_at)
        select d.topic, d.partition, d."offset", d.key, d.headers::jsonb, d.payload, d.reason, @now
        from unnest(@d_topic, @d_partition, @d_offset, @d_key, @d_headers, @d_payload, @d_reason)
             as d(topic, partition, "offset", key, headers, payload, reason)
        on conflict (topic, partition, "offset") do nothing
        """;

    /// <summary>Commits the batch; returns how many invitations were created (duplicates create none).</summary>
    public async Task<int> CommitAsync(IntakeBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var sql = new NpgsqlBatch(connection, tx);
        var created = 0;
        if (batch.Inbox.Count > 0)
        {
            var events = new NpgsqlBatchCommand(InsertEvents);
            var p = events.Parameters;
            p.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
            var inbox = batch.Inbox;
            p.Add(Array("e_source", inbox.Select(r => r.Source)));
            p.Add(Array("e_id", inbox.Select(r => r.EventId)));
            p.Add(Array("e_type", inbox.Select(r => r.Type)));
            p.Add(Array("e_topic", inbox.Select(r => r.Topic)));
            p.Add(new NpgsqlParameter<int[]>("e_partition", inbox.Select(r => r.Partition).ToArray()));
            p.Add(new NpgsqlParameter<long[]>("e_offset", inbox.Select(r => r.Offset).ToArray()));
            var inv = batch.Invitations;
            p.Add(new NpgsqlParameter<Guid[]>("i_id", inv.Select(r => r.Id).ToArray()));
            p.Add(Array("i_source", inv.Select(r => r.EventSource)));
            p.Add(Array("i_event_id", inv.Select(r => r.EventId)));
            p.Add(Array("i_type", inv.Select(r => r.EventType)));
            p.Add(Array("i_rule", inv.Select(r => r.Rule)));
            p.Add(Array("i_survey", inv.Select(r => r.Survey)));
            p.Add(Array("i_channel", inv.Select(r => r.Channel)));
            p.Add(Array("i_customer_id", inv.Select(r => r.CustomerId)));
            p.Add(Array("i_email", inv.Select(r => r.Email)));
            p.Add(Array("i_phone", inv.Select(r => r.Phone)));
            p.Add(Array("i_name", inv.Select(r => r.Name)));
            p.Add(Array("i_locale", inv.Select(r => r.Locale)));
            p.Add(Array("i_time_zone", inv.Select(r => r.TimeZone)));
            p.Add(Array("i_attributes", inv.Select(r => r.AttributesJson)));
            p.Add(new NpgsqlParameter<DateTimeOffset[]>("i_due_at", inv.Select(r => r.DueAt).ToArray()));
            p.Add(new NpgsqlParameter<TimeSpan[]>("i_valid_for", inv.Select(r => r.ValidFor).ToArray()));
            sql.BatchCommands.Add(events);
        }
        if (batch.DeadLetters.Count > 0)
        {
            var dead = new NpgsqlBatchCommand(InsertDeadLetters);
            var p = dead.Parameters;
            var rows = batch.DeadLetters;
            p.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
            p.Add(Array("d_topic", rows.Select(r => r.Topic)));
            p.Add(new NpgsqlParameter<int[]>("d_partition", rows.Select(r => r.Partition).ToArray()));
            p.Add(new NpgsqlParameter<long[]>("d_offset", rows.Select(r => r.Offset).ToArray()));
            p.Add(new NpgsqlParameter("d_key", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = rows.Select(r => r.Key).ToArray() });
            p.Add(Array("d_headers", rows.Select(r => r.HeadersJson)));
            p.Add(new NpgsqlParameter("d_payload", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = rows.Select(r => r.Payload).ToArray() });
            p.Add(Array("d_reason", rows.Select(r => r.Reason)));
            sql.BatchCommands.Add(dead);
        }
        if (sql.BatchCommands.Count > 0)
        {
            await sql.ExecuteNonQueryAsync(cancellationToken);
            created = batch.Inbox.Count > 0 ? sql.BatchCommands[0].RecordsAffected : 0;
        }
        await tx.CommitAsync(cancellationToken);
        return created;
    }

    private static NpgsqlParameter Array(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };
}
