using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace NpsTriggers.Ingest.Privacy;

/// <summary>Who to erase or export: any of a customer id, an email address or a phone number.</summary>
public sealed record PersonRef(string? CustomerId, string? Email, string? Phone)
{
    public bool IsEmpty => string.IsNullOrWhiteSpace(CustomerId) && string.IsNullOrWhiteSpace(Email) && string.IsNullOrWhiteSpace(Phone);
}

/// <summary>What an erasure changed, by table; no identifiers.</summary>
public sealed record ErasureResult(int Invitations, int Responses, int Decisions, int Suppressions, int DeadLetters, int OutboxRows);

/// <summary>
/// GDPR-style erasure and export of one person. Erasure removes the person's identifiers (customer id, email,
/// phone, name) and free text (comments, notes) from every table in one transaction, but keeps the scores and
/// their operational metadata, so every aggregate (NPS, response rates) stays exactly as it was. Suppression
/// entries stay, as SHA-256 hashes of the address: an erased person who opted out must stay opted out.
/// </summary>
public sealed class PersonEraser(NpgsqlDataSource dataSource, Microsoft.Extensions.Options.IOptions<Outbox.OutboxOptions> outboxOptions)
{
    private const string Hash = "'sha256:' || encode(sha256(convert_to({0}, 'UTF8')), 'hex')";

    /// <summary>The person's invitations and every identifier they were ever known by there.</summary>
    private static async Task<(Guid[] Ids, string[] Identifiers, string[] Emails, string[] Phones)> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, PersonRef person, bool forUpdate, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            select id, customer_id, lower(email), phone from invitations
            where customer_id = @customer or lower(email) = lower(@email) or phone = @phone
            {(forUpdate ? "for update" : "")}
            """, connection, tx);
        command.Parameters.Add(Text("customer", Blank(person.CustomerId)));
        command.Parameters.Add(Text("email", Blank(person.Email)?.ToLowerInvariant()));
        command.Parameters.Add(Text("phone", Blank(person.Phone)));
        var ids = new List<Guid>();
        var customers = new HashSet<string>(StringComparer.Ordinal);
        var emails = new HashSet<string>(StringComparer.Ordinal);
        var phones = new HashSet<string>(StringComparer.Ordinal);
        if (Blank(person.CustomerId) is { } c) customers.Add(c);
        if (Blank(person.Email) is { } e) emails.Add(e.ToLowerInvariant());
        if (Blank(person.Phone) is { } p) phones.Add(p);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetGuid(0));
                if (!reader.IsDBNull(1)) customers.Add(reader.GetString(1));
                if (!reader.IsDBNull(2)) emails.Add(reader.GetString(2));
                if (!reader.IsDBNull(3)) phones.Add(reader.GetString(3));
            }
        return ([.. ids], [.. customers.Concat(emails).Concat(phones).Where(s => s.Length > 0)], [.. emails], [.. phones]);
    }

    public async Task<ErasureResult> EraseAsync(PersonRef person, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var (ids, identifiers, emails, phones) = await FindAsync(connection, tx, person, forUpdate: true, cancellationToken);

        async Task<int> RunAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection, tx);
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", ids));
            command.Parameters.Add(new NpgsqlParameter<string[]>("identifiers", identifiers));
            command.Parameters.Add(new NpgsqlParameter<string[]>("emails", emails));
            command.Parameters.Add(new NpgsqlParameter<string[]>("phones", phones));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }

        // Free text that may quote an identifier (a provider's failure answer, a decision's detail) loses every occurrence.
        foreach (var identifier in identifiers)
        {
            await using var scrub = new NpgsqlCommand("""
                update invitations set failure_reason = replace(failure_reason, @x, '[erased]') where id = any(@ids) and strpos(failure_reason, @x) > 0;
                update decisions set detail = replace(detail, @x, '[erased]')
                where (invitation_id = any(@ids) or customer_id = any(@identifiers) or lower(email) = any(@emails)) and strpos(detail, @x) > 0;
                """, connection, tx);
            scrub.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", ids));
            scrub.Parameters.Add(new NpgsqlParameter<string>("x", identifier));
            scrub.Parameters.Add(new NpgsqlParameter<string[]>("identifiers", identifiers));
            scrub.Parameters.Add(new NpgsqlParameter<string[]>("emails", emails));
            await scrub.ExecuteNonQueryAsync(cancellationToken);
        }
        // Kept metadata is operational (product, store, agent) and stays for segmentation, unless a rule kept an identifier.
        const string Attributes = "attributes = (select coalesce(jsonb_object_agg(k, v), '{}'::jsonb) from jsonb_each(attributes) e(k, v) where not coalesce(v #>> '{}', '') = any(@identifiers))";
        var invitations = await RunAsync($"update invitations set customer_id = null, email = null, phone = null, name = null, {Attributes} where id = any(@ids)");
        var responses = await RunAsync($"update responses set comment = null, {Attributes} where invitation_id = any(@ids)");
        var decisions = await RunAsync("""
            update decisions set customer_id = null, email = null
            where invitation_id = any(@ids) or customer_id = any(@identifiers) or lower(email) = any(@emails)
            """);
        var suppressions = await RunAsync($"""
            update suppressions set address = {string.Format(System.Globalization.CultureInfo.InvariantCulture, Hash, "address")}
            where (channel = 'email' and address = any(@emails)) or (channel = 'sms' and address = any(@phones))
            """);
        // Records that never became events still hold the raw bytes: drop those that mention the person.
        var deadLetters = await RunAsync("""
            update dead_letters set payload = null, key = null, headers = '{}'::jsonb, reason = reason || ' (payload erased on request)'
            where exists (select 1 from unnest(@identifiers) x
                          where position(convert_to(x, 'UTF8') in coalesce(payload, ''::bytea)) > 0
                             or position(convert_to(x, 'UTF8') in coalesce(key, ''::bytea)) > 0
                             or headers::text like '%' || x || '%')
            """);
        var outbox = await EraseOutboxAsync(connection, tx, ids, identifiers, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new ErasureResult(invitations, responses, decisions, suppressions, deadLetters, outbox);
    }

    /// <summary>
    /// The outbox keeps copies of response events (customer id, comment) until pruned: those lose the personal fields,
    /// so a pending row publishes without them. Follow-up notes and stored API replies go too. Copies already on Kafka
    /// are the consumers' to erase: an <c>nps.person.erased</c> event, published through the same outbox, names the
    /// invitations (ids only) so they can.
    /// </summary>
    private async Task<int> EraseOutboxAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid[] ids, string[] identifiers, CancellationToken cancellationToken)
    {
        if (ids.Length == 0)
            return 0;
        await using var command = new NpgsqlCommand("""
            with scrubbed as (
                update outbox set payload = (payload - 'customerId' - 'comment')
                    || jsonb_build_object('metadata', (select coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
                                                       from jsonb_each(coalesce(payload -> 'metadata', '{}'::jsonb)) e(k, v)
                                                       where not coalesce(v #>> '{}', '') = any(@identifiers)))
                where partition_key = any(@keys) and event_type <> 'nps.person.erased'
                returning 1),
            notes as (update follow_ups set note = null where invitation_id = any(@ids) and note is not null returning 1),
            replies as (delete from idempotency_keys k where exists (select 1 from unnest(@keys) x where strpos(k.response::text, x) > 0) returning 1),
            announced as (
                insert into outbox (event_id, destination, event_type, partition_key, payload, created_at)
                select 'erased:' || gen_random_uuid(), @destination, 'nps.person.erased', @keys[1],
                       jsonb_build_object('invitationIds', to_jsonb(@keys)), clock_timestamp()
                where @publish
                returning 1)
            select (select count(*) from scrubbed) + (select count(*) from notes) + (select count(*) from replies)
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter<string[]>("keys", [.. ids.Select(id => id.ToString())]));
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", ids));
        command.Parameters.Add(new NpgsqlParameter<string[]>("identifiers", identifiers));
        command.Parameters.Add(new NpgsqlParameter<string>("destination", Outbox.ResponseOutbox.KafkaDestination));
        command.Parameters.Add(new NpgsqlParameter<bool>("publish", outboxOptions.Value.Publish));
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Everything stored about the person, as JSON.</summary>
    public async Task<JsonObject> ExportAsync(PersonRef person, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var (ids, _, emails, phones) = await FindAsync(connection, null, person, forUpdate: false, cancellationToken);
        async Task<JsonArray> RowsAsync(string sql)
        {
            await using var command = new NpgsqlCommand($"select coalesce(json_agg(row_to_json(q)), '[]'::json)::text from ({sql}) q", connection);
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", ids));
            command.Parameters.Add(new NpgsqlParameter<string[]>("emails", emails));
            command.Parameters.Add(new NpgsqlParameter<string[]>("phones", phones));
            return JsonNode.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!)!.AsArray();
        }
        return new JsonObject
        {
            ["person"] = JsonSerializer.SerializeToNode(person),
            ["invitations"] = await RowsAsync("""
                select id, survey, channel, state, customer_id, email, phone, name, locale, time_zone, attributes,
                       created_at, due_at, sent_at, answered_at, expires_at, cancelled_at, suppressed_at, failed_at, failure_reason, delivery_status
                from invitations where id = any(@ids) order by created_at
                """),
            ["responses"] = await RowsAsync("select invitation_id, survey, channel, score, comment, attributes, answered_at, updated_at from responses where invitation_id = any(@ids) order by answered_at"),
            ["suppressions"] = await RowsAsync("""
                select channel, address, reason, created_at from suppressions
                where (channel = 'email' and address = any(@emails)) or (channel = 'sms' and address = any(@phones)) order by created_at
                """),
            ["decisions"] = await RowsAsync("select event_type, rule, outcome, detail, at from decisions where invitation_id = any(@ids) order by at"),
        };
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };
}
