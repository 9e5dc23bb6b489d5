using Npgsql;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Ingest.Privacy;

/// <summary>What an erasure changed, by table; no identifiers.</summary>
public sealed record ErasureResult(int Invitations, int Responses, int Decisions, int Suppressions, int DeadLetters, int OutboxRows);

/// <summary>
/// GDPR-style erasure of one person, in one transaction. It removes the person's identifiers (customer id, email,
/// phone, name) and free text (comments, notes) from every table, and every occurrence of an identifier, in any letter
/// case, from the text that may quote one: failure reasons, decision details, event ids, kept metadata, dead letters'
/// bytes and outbox payloads. Scores, categories and operational metadata stay, so every aggregate (NPS, response
/// rates) is unchanged. Suppression entries stay as SHA-256 hashes of the address: an erased person who opted out stays
/// opted out. The person's invitations are marked erased: their links say the survey closed, and a pending one is
/// cancelled.
/// </summary>
public sealed class PersonEraser(NpgsqlDataSource dataSource, Microsoft.Extensions.Options.IOptions<OutboxOptions> outboxOptions, TimeProvider time)
{
    private const string Hash = "'sha256:' || encode(sha256(convert_to(address, 'UTF8')), 'hex')";

    /// <summary>Kept metadata is operational (product, store, agent) and stays, unless a value quotes an identifier.</summary>
    private const string Attributes = """
        attributes = (select coalesce(jsonb_object_agg(k, v), '{}'::jsonb) from jsonb_each(attributes) e(k, v)
                      where not exists (select 1 from unnest(@needles) x where strpos(lower(v #>> '{}'), x) > 0))
        """;

    private const string Scrub = "case when {0} ~* @pattern then regexp_replace({0}, @pattern, '[erased]', 'gi') else {0} end";

    public async Task<ErasureResult> EraseAsync(PersonRef person, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var found = await PersonFinder.FindAsync(connection, tx, person, forUpdate: true, cancellationToken);
        var wide = found.WideNeedles;

        async Task<int> RunAsync(string sql, bool counts = false)
        {
            await using var command = new NpgsqlCommand(sql, connection, tx);
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", found.Ids));
            command.Parameters.Add(new NpgsqlParameter<string[]>("keys", [.. found.Ids.Select(id => id.ToString())]));
            command.Parameters.Add(new NpgsqlParameter<string[]>("needles", found.Needles));
            command.Parameters.Add(new NpgsqlParameter<string[]>("wide", wide));
            command.Parameters.Add(new NpgsqlParameter<string>("pattern", found.Pattern));
            command.Parameters.Add(new NpgsqlParameter<string>("wide_pattern", string.Join('|', wide.Select(PersonFinder.Escape))));
            command.Parameters.Add(new NpgsqlParameter<string[]>("emails", found.Emails));
            command.Parameters.Add(new NpgsqlParameter<string[]>("phones", found.Phones));
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
            command.Parameters.Add(new NpgsqlParameter<string>("destination", ResponseOutbox.KafkaDestination));
            command.Parameters.Add(new NpgsqlParameter<bool>("publish", outboxOptions.Value.Publish));
            return counts ? (int)(long)(await command.ExecuteScalarAsync(cancellationToken))! : await command.ExecuteNonQueryAsync(cancellationToken);
        }

        // An event id made of the person's data (a producer's choice) keeps its uniqueness with a random stand-in.
        var invitations = await RunAsync($"""
            update invitations set
                customer_id = null, email = null, phone = null, name = null, {Attributes}, erased_at = @now,
                failure_reason = {Scrub.Replace("{0}", "failure_reason", StringComparison.Ordinal)},
                correlation = case when correlation ~* @pattern then '[erased]' else correlation end,
                event_id = case when event_id ~* @pattern
                                then regexp_replace(event_id, @pattern, 'erased-' || left(md5(random()::text), 12), 'gi') else event_id end,
                state = case when state = '{InvitationState.Scheduled}' then '{InvitationState.Cancelled}' else state end,
                cancelled_at = case when state = '{InvitationState.Scheduled}' then @now else cancelled_at end,
                cancelled_by = case when state = '{InvitationState.Scheduled}' then 'erased on request' else {Scrub.Replace("{0}", "cancelled_by", StringComparison.Ordinal)} end
            where id = any (@ids)
            """);
        var responses = await RunAsync($"update responses set comment = null, {Attributes} where invitation_id = any (@ids)");
        var decisions = await RunAsync($"""
            update decisions set customer_id = null, email = null, phone = null,
                detail = {Scrub.Replace("{0}", "detail", StringComparison.Ordinal)}, event_id = {Scrub.Replace("{0}", "event_id", StringComparison.Ordinal)}
            where invitation_id = any (@ids) or lower(customer_id) = any (@needles) or lower(email) = any (@needles) or phone = any (@phones)
               -- A dead letter's decision belongs to nobody known, but its reason may quote the person (as the dead letter does).
               or (outcome = '{DecisionTexts.DeadLettered}' and cardinality(@wide) > 0 and (detail ~* @wide_pattern or event_id ~* @wide_pattern))
            """);
        var suppressions = await RunAsync($"""
            update suppressions set address = {Hash}
            where (channel = 'email' and lower(address) = any (@emails)) or (channel = 'sms' and address = any (@phones))
            """);
        // Records that never became events still hold the raw bytes: drop those that mention the person, in any case.
        // Bytes are compared as PostgreSQL's escape text (ASCII as is), lower-cased, so no invalid UTF-8 can stop the search.
        var deadLetters = wide.Length == 0 ? 0 : await RunAsync($"""
            update dead_letters set payload = null, key = null, headers = '[]'::jsonb,
                reason = {Scrub.Replace("{0}", "reason", StringComparison.Ordinal)} || ' (payload erased on request)'
            where exists (select 1 from unnest(@wide) n(text), lower(encode(convert_to(n.text, 'UTF8'), 'escape')) b(bytes)
                          where strpos(lower(encode(coalesce(payload, ''::bytea), 'escape')), b.bytes) > 0
                             or strpos(lower(encode(coalesce(key, ''::bytea), 'escape')), b.bytes) > 0
                             or strpos(lower(headers::text), n.text) > 0
                             or strpos(lower(reason), n.text) > 0)
            """);
        if (wide.Length > 0)
            await RunAsync("""
                update inbox set event_id = regexp_replace(event_id, @wide_pattern, 'erased-' || left(md5(random()::text), 12), 'gi')
                where event_id ~* @wide_pattern
                """);
        var outbox = await RunAsync(EraseOutbox, counts: true);
        await tx.CommitAsync(cancellationToken);
        return new ErasureResult(invitations, responses, decisions, suppressions, deadLetters, outbox);
    }

    /// <summary>
    /// The response event stream and the outbox keep copies of response events (customer id, comment, metadata, the event
    /// id) until pruned: those lose the personal fields (customer id and comment null), so an event not yet published goes
    /// out without them. Follow-up notes and stored API replies go too. Copies already on Kafka are the consumers' to erase: an
    /// <c>nps.person.erased</c> event, published through the outbox, names the invitations (ids only) so they can.
    /// </summary>
    private static readonly string EraseOutbox = $"""
        with scrubbed as (
            update outbox o set
                payload = {ScrubbedPayload("o.payload")},
                last_error = case when o.last_error ~* @pattern then regexp_replace(o.last_error, @pattern, '[erased]', 'gi') else o.last_error end
            from invitations i
            where o.partition_key = any (@keys) and i.id::text = o.partition_key and o.event_type <> 'nps.person.erased'
            returning 1),
        streamed as (
            -- A row keeps the comment of its version (0028_response_events_lean.sql), and one written before that its
            -- whole payload as built (json, 0027_response_events_json.sql), edited through jsonb.
            update response_events e set comment = null,
                payload = case when e.payload is null then null else ({ScrubbedPayload("e.payload::jsonb")})::json end
            from invitations i
            where e.invitation_id = any (@ids) and i.id = e.invitation_id
            returning 1),
        notes as (update follow_ups set note = null where invitation_id = any (@ids) and note is not null returning 1),
        replies as (delete from idempotency_keys k where exists (select 1 from unnest(@keys) x where strpos(k.response::text, x) > 0) returning 1),
        announced as (
            insert into outbox (event_id, destination, event_type, partition_key, payload, created_at)
            select 'erased:' || gen_random_uuid(), @destination, 'nps.person.erased', @keys[1],
                   jsonb_build_object('invitationIds', to_jsonb(@keys)), clock_timestamp()
            where @publish and cardinality(@keys) > 0
            returning 1)
        select (select count(*) from scrubbed) + (select count(*) from streamed) + (select count(*) from notes) + (select count(*) from replies)
        """;

    // An event's payload (the jsonb expression given) without the person's fields: customer id and comment null (the
    // event's schema requires both fields, docs/schemas/response-recorded.schema.json), no kept metadata value that quotes
    // an identifier, and the producer's event id as the (already scrubbed) invitation now holds it.
    private static string ScrubbedPayload(string payload) => $$"""
        {{payload}} || jsonb_build_object('customerId', null, 'comment', null)
            || jsonb_build_object('metadata', (select coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
                                               from jsonb_each(coalesce({{payload}} -> 'metadata', '{}'::jsonb)) m(k, v)
                                               where not exists (select 1 from unnest(@needles) x where strpos(lower(v #>> '{}'), x) > 0)))
            || case when {{payload}} ? 'event'
                    then jsonb_build_object('event', jsonb_build_object('source', {{payload}} #>> '{event,source}', 'id', i.event_id))
                    else '{}'::jsonb end
        """;
}
