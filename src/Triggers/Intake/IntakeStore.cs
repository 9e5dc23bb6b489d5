using NpsTriggers.Core.Invitations;
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
    private static readonly string InsertEvents = $$"""
        with new_events as (
            insert into inbox (source, event_id, type, topic, partition, "offset", received_at)
            select e.source, e.event_id, e.type, e.topic, e.partition, e."offset", @now
            from unnest(@e_source, @e_id, @e_type, @e_topic, @e_partition, @e_offset)
                 as e(source, event_id, type, topic, partition, "offset")
            on conflict do nothing
            returning source, event_id)
        , invited as (
            -- A trigger whose cancel came first (remembered_cancels) is recorded as cancelled on arrival.
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, customer_id, email, phone,
                                     name, locale, time_zone, attributes, state, created_at, due_at, valid_for, correlation,
                                     reminders_left, reminder_after, trace_parent, cancelled_at, cancelled_by)
            select i.id, i.source, i.event_id, i.type, i.rule, i.survey, i.channel, i.customer_id, i.email, i.phone,
                   i.name, i.locale, i.time_zone, i.attributes::jsonb, case when m.cancelled_by is null then '{{InvitationState.Scheduled}}' else '{{InvitationState.Cancelled}}' end,
                   @now, i.due_at, i.valid_for, i.correlation, i.reminders, i.reminder_after, i.trace_parent,
                   case when m.cancelled_by is not null then @now end, m.cancelled_by
            from unnest(@i_id, @i_source, @i_event_id, @i_type, @i_rule, @i_survey, @i_channel, @i_customer_id, @i_email,
                        @i_phone, @i_name, @i_locale, @i_time_zone, @i_attributes, @i_due_at, @i_valid_for, @i_correlation,
                        @i_reminders, @i_reminder_after, @i_trace_parent)
                 as i(id, source, event_id, type, rule, survey, channel, customer_id, email, phone, name, locale, time_zone,
                      attributes, due_at, valid_for, correlation, reminders, reminder_after, trace_parent)
            join new_events n on n.source = i.source and n.event_id = i.event_id
            left join remembered_cancels m on m.rule = i.rule and m.correlation = i.correlation and m.expires_at > @now
            on conflict do nothing
            returning id, cancelled_by)
        insert into decisions (event_source, event_id, event_type, rule, customer_id, email, phone, invitation_id, outcome, detail, at)
        select d.source, d.event_id, d.type, d.rule, d.customer_id, d.email, d.phone, d.invitation_id,
               case when v.cancelled_by is null then d.outcome else 'cancelled' end,
               case when v.cancelled_by is null then d.detail
                    else 'cancelled on arrival: ' || v.cancelled_by || ' came before it; it would have been ' || d.detail end,
               @now
        from unnest(@d_source, @d_event_id, @d_type, @d_rule, @d_customer_id, @d_email, @d_phone, @d_invitation_id, @d_outcome, @d_detail)
             as d(source, event_id, type, rule, customer_id, email, phone, invitation_id, outcome, detail)
        join new_events n on n.source = d.source and n.event_id = d.event_id
        left join invited v on v.id = d.invitation_id
        """;

    // A separate statement, so it sees invitations inserted by the statement before (a cancel in the same batch as
    // its trigger). Cancelling is guarded by state, so a replayed cancel event changes nothing and logs nothing.
    private static readonly string ApplyCancels = $$"""
        with c as (
            select * from unnest(@c_rule, @c_value, @c_type, @c_source, @c_event_id, @c_customer_id, @c_email, @c_horizon)
                as c(rule, value, type, source, event_id, customer_id, email, horizon)),
        remembered as (
            -- For a trigger that arrives later (another partition, the HTTP API): the first cancel of a value is kept
            -- until its horizon; one of a batch per value, as one statement may not touch a row twice.
            insert into remembered_cancels (rule, correlation, cancelled_by, remembered_at, expires_at)
            select distinct on (rule, value) rule, value, type || ' ' || source || ' ' || event_id, @now, @now + horizon
            from c order by rule, value
            on conflict (rule, correlation) do update
                set cancelled_by = excluded.cancelled_by, remembered_at = excluded.remembered_at, expires_at = excluded.expires_at
                where remembered_cancels.expires_at <= excluded.remembered_at),
        cancelled as (
            update invitations i
            set state = '{{InvitationState.Cancelled}}', cancelled_at = @now, cancelled_by = c.type || ' ' || c.source || ' ' || c.event_id
            from c
            where i.rule = c.rule and i.correlation = c.value and i.state = '{{InvitationState.Scheduled}}'
            returning i.id, i.rule, i.cancelled_by, c.type, c.source, c.event_id, c.customer_id, c.email, i.phone),
        stopped as (
            -- Sent, or being sent right now: no reminder follows (the send records none once reminders_left is 0). An
            -- answered one (still sent, with answered_at) gets no reminder anyway, and the cancel is not recorded on it.
            update invitations i
            set reminders_left = 0, remind_at = null, cancelled_by = c.type || ' ' || c.source || ' ' || c.event_id
            from c
            where i.rule = c.rule and i.correlation = c.value and i.state in ('{{InvitationState.Sending}}', '{{InvitationState.Sent}}')
              and i.answered_at is null and i.reminders_left > 0
            returning i.id, i.rule, i.state, i.cancelled_by, c.type, c.source, c.event_id, c.customer_id, c.email, i.phone)
        insert into decisions (event_source, event_id, event_type, rule, customer_id, email, phone, invitation_id, outcome, detail, at)
        select source, event_id, type, rule, customer_id, email, phone, id, 'cancelled', 'pending invitation ' || id || ' cancelled by ' || cancelled_by, @now
        from cancelled
        union all
        select source, event_id, type, rule, customer_id, email, phone, id, 'reminders_stopped', state || ' invitation ' || id || ': reminders stopped by ' || cancelled_by, @now
        from stopped
        """;

    // A dead letter is a decision too, with what is known of its event (source, id, type: empty when unknown) and no rule,
    // so "?event=" finds why an event never became a survey. Only a new dead letter gets one: a replay adds nothing.
    private static readonly string InsertDeadLetters = $"""
        with kept as (
            insert into dead_letters (topic, partition, "offset", key, headers, payload, reason, received_at)
            select d.topic, d.partition, d."offset", d.key, d.headers::jsonb, d.payload, d.reason, @now
            from unnest(@d_topic, @d_partition, @d_offset, @d_key, @d_headers, @d_payload, @d_reason)
                 as d(topic, partition, "offset", key, headers, payload, reason)
            on conflict (topic, partition, "offset") do nothing
            returning topic, partition, "offset")
        insert into decisions (event_source, event_id, event_type, rule, outcome, detail, at)
        select coalesce(e.source, ''), coalesce(e.id, ''), coalesce(e.type, ''), '', '{DecisionTexts.DeadLettered}', e.detail, @now
        from unnest(@d_topic, @d_partition, @d_offset, @d_e_source, @d_e_id, @d_e_type, @d_detail)
             as e(topic, partition, "offset", source, id, type, detail)
        join kept k on k.topic = e.topic and k.partition = e.partition and k."offset" = e."offset"
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
            p.Add(Array("i_channel", inv.Select(r => r.Channel.Column())));
            p.Add(Array("i_customer_id", inv.Select(r => r.CustomerId)));
            p.Add(Array("i_email", inv.Select(r => r.Email)));
            p.Add(Array("i_phone", inv.Select(r => r.Phone)));
            p.Add(Array("i_name", inv.Select(r => r.Name)));
            p.Add(Array("i_locale", inv.Select(r => r.Locale)));
            p.Add(Array("i_time_zone", inv.Select(r => r.TimeZone)));
            p.Add(Array("i_attributes", inv.Select(r => r.AttributesJson)));
            p.Add(new NpgsqlParameter<DateTimeOffset[]>("i_due_at", inv.Select(r => r.DueAt).ToArray()));
            p.Add(new NpgsqlParameter<TimeSpan[]>("i_valid_for", inv.Select(r => r.ValidFor).ToArray()));
            p.Add(Array("i_correlation", inv.Select(r => r.Correlation)));
            p.Add(new NpgsqlParameter<int[]>("i_reminders", inv.Select(r => r.Reminders).ToArray()));
            p.Add(new NpgsqlParameter("i_reminder_after", NpgsqlDbType.Array | NpgsqlDbType.Interval) { Value = inv.Select(r => (object?)r.ReminderAfter ?? DBNull.Value).ToArray() });
            p.Add(Array("i_trace_parent", inv.Select(r => r.TraceParent)));
            var dec = batch.Decisions;
            p.Add(Array("d_source", dec.Select(r => r.EventSource)));
            p.Add(Array("d_event_id", dec.Select(r => r.EventId)));
            p.Add(Array("d_type", dec.Select(r => r.EventType)));
            p.Add(Array("d_rule", dec.Select(r => r.Rule)));
            p.Add(Array("d_customer_id", dec.Select(r => r.CustomerId)));
            p.Add(Array("d_email", dec.Select(r => r.Email)));
            p.Add(Array("d_phone", dec.Select(r => r.Phone)));
            p.Add(new NpgsqlParameter("d_invitation_id", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = dec.Select(r => (object?)r.InvitationId ?? DBNull.Value).ToArray() });
            p.Add(Array("d_outcome", dec.Select(r => r.Outcome)));
            p.Add(Array("d_detail", dec.Select(r => r.Detail)));
            sql.BatchCommands.Add(events);
        }
        if (batch.Cancels.Count > 0)
        {
            var cancels = new NpgsqlBatchCommand(ApplyCancels);
            var p = cancels.Parameters;
            var rows = batch.Cancels;
            p.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
            p.Add(Array("c_rule", rows.Select(r => r.Rule)));
            p.Add(Array("c_value", rows.Select(r => r.Value)));
            p.Add(Array("c_type", rows.Select(r => r.EventType)));
            p.Add(Array("c_source", rows.Select(r => r.EventSource)));
            p.Add(Array("c_event_id", rows.Select(r => r.EventId)));
            p.Add(Array("c_customer_id", rows.Select(r => r.CustomerId)));
            p.Add(Array("c_email", rows.Select(r => r.Email)));
            p.Add(new NpgsqlParameter<TimeSpan[]>("c_horizon", rows.Select(r => r.Horizon).ToArray()));
            sql.BatchCommands.Add(cancels);
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
            // Reasons quote what arrived; whatever that was, the reason itself must be storable.
            p.Add(Array("d_reason", rows.Select(r => Core.Storage.StorableText.Escape(r.Reason))));
            p.Add(Array("d_e_source", rows.Select(r => Storable(r.Event?.Source))));
            p.Add(Array("d_e_id", rows.Select(r => Storable(r.Event?.Id))));
            p.Add(Array("d_e_type", rows.Select(r => Storable(r.Event?.Type))));
            p.Add(Array("d_detail", rows.Select(r => Core.Storage.StorableText.Escape(DecisionTexts.DeadLetteredDetail(r.Topic, r.Partition, r.Offset, r.Reason)))));
            sql.BatchCommands.Add(dead);
        }
        if (sql.BatchCommands.Count > 0)
        {
            await sql.ExecuteNonQueryAsync(cancellationToken);
            created = batch.Invitations.Count;
        }
        await tx.CommitAsync(cancellationToken);
        return created;
    }

    private static string? Storable(string? text) => text is null ? null : Core.Storage.StorableText.Escape(text);

    private static NpgsqlParameter Array(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };
}
