using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpsTriggers.Core.Nps;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// The Kafka stream of response events (0024_response_events.sql): an append-only log written with each response change
/// (<see cref="ResponseOutbox"/>) and read in order behind a cursor. <see cref="LockAsync"/> locks the cursor in a
/// transaction that stays open while the broker acknowledges, and <see cref="ResponseEventBatch.CompleteAsync"/> moves it
/// in that transaction; a publisher that dies leaves the cursor where it was, and the events after it go out again
/// under their ids (at-least-once, as with outbox rows).
/// </summary>
public sealed class ResponseEventStream(NpgsqlDataSource dataSource)
{
    /// <summary>The one stream there is: <c>nps.response.recorded</c> to Kafka.</summary>
    public const string Kafka = "kafka";

    /// <summary>
    /// Locks the stream's cursor and reads up to <paramref name="limit"/> events after it, oldest transaction first; null
    /// when another publisher holds the cursor. The transaction is ended by PostgreSQL after <paramref name="lease"/>
    /// idle (a hung publisher), which leaves the cursor as it was.
    /// </summary>
    public async Task<ResponseEventBatch?> LockAsync(int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand(HeldTransaction.IdleTimeoutSql(lease)),
                    new NpgsqlBatchCommand(NoSorts),
                    new NpgsqlBatchCommand(ReadSql(limit)),
                },
            };
            // Prepared once per connection, and without parameters, so PostgreSQL plans the read once and reuses the
            // plan (unprepared, it was parsed and planned in every round: docs/BENCHMARKS.md, "A foreign key that
            // could not fail").
            await batch.PrepareAsync(cancellationToken);
            var events = new List<OutboxRow>();
            // One buffer and writer for the batch's events, reset for each (Payload).
            var buffer = new ArrayBufferWriter<byte>(1024);
            using var json = new Utf8JsonWriter(buffer);
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                // The "set"s return no result set, so the reader starts on the read. No row at all: another publisher holds the cursor.
                var locked = false;
                while (await reader.ReadAsync(cancellationToken))
                {
                    locked = true;
                    if (reader.IsDBNull(1))
                        continue; // the cursor's own row: nothing after it yet
                    var invitation = reader.GetGuid(1);
                    var version = reader.GetInt32(2);
                    events.Add(new OutboxRow(0, string.Create(CultureInfo.InvariantCulture, $"{invitation}:{version}"), Kafka,
                        ResponseOutbox.EventType, invitation.ToString(), Payload(reader, buffer, json), reader.GetFieldValue<DateTimeOffset>(4), 0)
                    {
                        Position = new StreamPosition(reader.GetString(0), invitation, version),
                    });
                }
                if (!locked)
                {
                    await reader.DisposeAsync();
                    await connection.DisposeAsync();
                    return null;
                }
            }
            return new ResponseEventBatch(connection, transaction, events);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    // Without a sort, the read can only take the events in the order of the xid index (sorting each transaction's few
    // events by key as they come, an incremental sort) and stop at the limit: it reads one batch of the log however far
    // behind the cursor the writers are. A sort over all the events after the cursor (a plan chosen when the planner
    // expects few of them: statistics taken while the log was small, or its default guess for a range it cannot see)
    // read the whole backlog in every round, so a publisher that fell behind got slower the further it fell (issue 21,
    // docs/BENCHMARKS.md, "A publisher that read its whole backlog in every round"). Local to the read's transaction.
    private const string NoSorts = "set local enable_sort = off";

    // The cursor row, locked (SKIP LOCKED: another replica publishing means nothing to do here), left-joined to the events
    // after it. Only transactions older than every running one are read: see 0024_response_events.sql for why that makes
    // the cursor safe to move past what it read. Rows come in (xid, invitation, version) order, the response_events_xid
    // index's order with the key to break ties, so the cursor's comparison is exact. An event without a stored payload
    // (0028_response_events_lean.sql) comes with its response's and invitation's unchanging fields, for Payload.
    // The events are joined to those inside the lateral subquery, whose nested loops keep the order of its limited scan,
    // so no step of the plan sorts (NoSorts); the outer join over the one cursor row passes that order through.
    // The batch size is a number in the text (it comes from configuration), so the statement has no parameter and one plan.
    private static string ReadSql(int limit) => string.Create(CultureInfo.InvariantCulture, $$"""
        with cursor as (
            select xid, invitation_id, version from response_event_cursors where stream = 'kafka' for update skip locked)
        select e.*
        from cursor c
        left join lateral (
            select e.xid::text, e.invitation_id, e.version, e.payload::text, e.created_at,
                   e.score, e.comment, e.updated_at, r.survey, r.channel, r.answered_at, r.attributes::text,
                   i.customer_id, i.rule, i.event_source, i.event_id
            from (
                select e.xid, e.invitation_id, e.version, e.payload, e.created_at, e.score, e.comment, e.updated_at
                from response_events e
                where e.xid >= c.xid and (e.xid, e.invitation_id, e.version) > (c.xid, c.invitation_id, c.version)
                  and e.xid < pg_snapshot_xmin(pg_current_snapshot())
                order by e.xid, e.invitation_id, e.version
                limit {{limit}}) e
            left join responses r on e.payload is null and r.invitation_id = e.invitation_id
            left join invitations i on e.payload is null and i.id = e.invitation_id
            order by e.xid, e.invitation_id, e.version) e on true
        """);

    /// <summary>
    /// The event's <c>data</c> (docs/EVENTS.md) as UTF-8 JSON: the payload stored with the event, for a row written before
    /// migration 0028; otherwise built from the row's own fields (score, comment, time of the change) and its response's
    /// and invitation's, in the order the recording statements built it before. After an erasure the comment (the
    /// row's) and the customer (the invitation's) are null, and the metadata and source event id as the erasure left them
    /// (Privacy/PersonEraser).
    /// </summary>
    private static byte[] Payload(NpgsqlDataReader reader, ArrayBufferWriter<byte> buffer, Utf8JsonWriter json)
    {
        if (!reader.IsDBNull(3))
            return reader.GetFieldValue<byte[]>(3);
        if (reader.IsDBNull(8) || reader.IsDBNull(13))
            throw new InvalidOperationException($"Response event {reader.GetGuid(1)}:{reader.GetInt32(2)} has no stored payload and no response to build one from.");
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        var score = reader.GetInt16(5);
        json.WriteStartObject();
        json.WriteString("invitationId", reader.GetGuid(1));
        json.WriteNumber("version", reader.GetInt32(2));
        json.WriteString("survey", reader.GetString(8));
        json.WriteString("channel", reader.GetString(9));
        json.WriteNumber("score", score);
        json.WriteString("category", NpsSummary.CategoryOf(score));
        NullableString(json, "comment", reader, 6);
        NullableString(json, "customerId", reader, 12);
        json.WriteString("rule", reader.GetString(13));
        json.WriteStartObject("event");
        json.WriteString("source", reader.GetString(14));
        json.WriteString("id", reader.GetString(15));
        json.WriteEndObject();
        json.WriteString("answeredAt", reader.GetFieldValue<DateTimeOffset>(10));
        json.WriteString("updatedAt", reader.GetFieldValue<DateTimeOffset>(7));
        json.WritePropertyName("metadata");
        // PostgreSQL's rendering of the stored jsonb: valid JSON by construction.
        json.WriteRawValue(reader.GetString(11), skipInputValidation: true);
        json.WriteEndObject();
        json.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void NullableString(Utf8JsonWriter json, string name, NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
            json.WriteNull(name);
        else
            json.WriteString(name, reader.GetString(ordinal));
    }

    internal static NpgsqlBatchCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        return command;
    }

    // PruneAsync's statement (a test reads its plan).
    // The events chosen are deleted by their row addresses: joined back by key, the planner hashed them against a scan
    // of the whole log, on every pass that had anything to delete.
    internal const string PruneSql = """
        delete from response_events where ctid = any (array(
            select o.ctid from (
                -- The cursor as values (not a join), so the scan runs in the index's order and stops at the limit.
                select e.ctid, e.created_at from response_events e
                where e.xid <= (select xid from response_event_cursors where stream = 'kafka')
                  and (e.xid, e.invitation_id, e.version) <= (select xid, invitation_id, version from response_event_cursors where stream = 'kafka')
                order by e.xid
                limit @batch) o
            where o.created_at < clock_timestamp() - @retention))
        """;

    /// <summary>
    /// Deletes published events older than <paramref name="retention"/> among the oldest <paramref name="batch"/> in the
    /// stream's order, so a pass reads at most that many whatever the log holds. The log is appended in about the order of time, so these are
    /// the ones that age first; an old event behind a younger one goes in a later pass, once the younger one has aged.
    /// (Filtering on the age before the limit made a pass that found nothing old enough read every published event of
    /// the retention period, every minute: docs/BENCHMARKS.md, "Lean event rows".)
    /// </summary>
    public async Task<int> PruneAsync(TimeSpan retention, CancellationToken cancellationToken, int batch = 5000)
    {
        await using var command = dataSource.CreateCommand(PruneSql);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("retention", retention));
        command.Parameters.Add(new NpgsqlParameter<int>("batch", batch));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Where an event sits in the stream: its transaction id (as text) and key.</summary>
public sealed record StreamPosition(string Xid, Guid InvitationId, int Version);

/// <summary>
/// Events read after the locked cursor (<see cref="ResponseEventStream.LockAsync"/>), in the transaction that holds it.
/// Disposed without completing, the transaction rolls back and the cursor stays where it was.
/// </summary>
public sealed class ResponseEventBatch(NpgsqlConnection connection, NpgsqlTransaction transaction, List<OutboxRow> events)
    : HeldTransaction(connection, transaction)
{
    /// <summary>The events, in stream order (each with its <see cref="OutboxRow.Position"/>).</summary>
    public IReadOnlyList<OutboxRow> Events { get; } = events;

    /// <summary>
    /// Moves the cursor past the first <paramref name="through"/> events (all of which were acknowledged or are in
    /// <paramref name="parked"/>), parks the <paramref name="parked"/> ones as Kafka outbox rows that retry on their own
    /// with backoff (so one event the broker refuses does not hold up the stream), and commits. One round trip.
    /// </summary>
    public async Task CompleteAsync(int through, IReadOnlyList<(OutboxRow Event, string Error, TimeSpan RetryAfter)> parked,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parked);
        ArgumentOutOfRangeException.ThrowIfNegative(through);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(through, Events.Count);
        var commands = new List<NpgsqlBatchCommand>(2);
        if (through > 0)
        {
            var last = Events[through - 1].Position!;
            commands.Add(ResponseEventStream.Command("""
                update response_event_cursors set xid = @xid::xid8, invitation_id = @invitation, version = @version, updated_at = clock_timestamp()
                where stream = 'kafka'
                """, ("xid", last.Xid), ("invitation", last.InvitationId), ("version", last.Version)));
        }
        if (parked.Count > 0)
        {
            var park = new NpgsqlBatchCommand("""
                insert into outbox (event_id, destination, event_type, partition_key, payload, created_at, next_attempt_at, attempts, last_error)
                select p.invitation_id::text || ':' || p.version, 'kafka', @type, p.invitation_id::text, p.payload::jsonb, p.created_at,
                       clock_timestamp() + p.after, 1, p.error
                from unnest(@invitations, @versions, @payloads, @created, @errors, @afters)
                    as p (invitation_id, version, payload, created_at, error, after)
                """);
            park.Parameters.Add(new NpgsqlParameter<string>("type", ResponseOutbox.EventType));
            park.Parameters.Add(new NpgsqlParameter<Guid[]>("invitations", [.. parked.Select(p => p.Event.Position!.InvitationId)]));
            park.Parameters.Add(new NpgsqlParameter<int[]>("versions", [.. parked.Select(p => p.Event.Position!.Version)]));
            // The event as read (its payload built, for a row that has none stored), so the parked row is what Kafka refused.
            park.Parameters.Add(new NpgsqlParameter<string[]>("payloads", [.. parked.Select(p => Encoding.UTF8.GetString(p.Event.Payload))]));
            park.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("created", [.. parked.Select(p => p.Event.CreatedAt)]));
            park.Parameters.Add(new NpgsqlParameter<string[]>("errors", [.. parked.Select(p => ErrorText(p.Error))]));
            park.Parameters.Add(new NpgsqlParameter<TimeSpan[]>("afters", [.. parked.Select(p => p.RetryAfter)]));
            commands.Add(park);
        }
        await CommitAsync(commands, cancellationToken);
    }
}
