using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Ingest.Privacy;

/// <summary>Everything stored about one person, as JSON (a data-subject access request).</summary>
public sealed class PersonExport(NpgsqlDataSource dataSource)
{
    public async Task<JsonObject> ExportAsync(PersonRef person, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var found = await PersonFinder.FindAsync(connection, null, person, forUpdate: false, cancellationToken);
        async Task<JsonArray> RowsAsync(string sql)
        {
            await using var command = new NpgsqlCommand($"select coalesce(json_agg(row_to_json(q)), '[]'::json)::text from ({sql}) q", connection);
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", found.Ids));
            command.Parameters.Add(new NpgsqlParameter<string[]>("emails", found.Emails));
            command.Parameters.Add(new NpgsqlParameter<string[]>("phones", found.Phones));
            command.Parameters.Add(new NpgsqlParameter<string[]>("customers", [.. found.Customers.Select(c => c.ToLowerInvariant())]));
            return JsonNode.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!)!.AsArray();
        }
        return new JsonObject
        {
            ["person"] = JsonSerializer.SerializeToNode(person),
            ["invitations"] = await RowsAsync($"""
                select id, survey, channel, {InvitationState.EffectiveSql()} as state, customer_id, email, phone, name, locale, time_zone, attributes,
                       created_at, due_at, sent_at, answered_at, expires_at, cancelled_at, suppressed_at, failed_at, failure_reason, delivery_status
                from invitations where id = any(@ids) order by created_at
                """),
            ["responses"] = await RowsAsync("select invitation_id, survey, channel, score, comment, attributes, answered_at, updated_at from responses where invitation_id = any(@ids) order by answered_at"),
            ["suppressions"] = await RowsAsync("""
                select channel, address, reason, created_at from suppressions
                where (channel = 'email' and lower(address) = any(@emails)) or (channel = 'sms' and address = any(@phones)) order by created_at
                """),
            // Decisions without an invitation (not matched, sampled out, no contact) are the person's too: found by their identifiers.
            ["decisions"] = await RowsAsync("""
                select event_type, rule, outcome, detail, customer_id, email, phone, at from decisions
                where invitation_id = any(@ids) or lower(customer_id) = any(@customers) or lower(email) = any(@emails) or phone = any(@phones)
                order by at, id
                """),
        };
    }
}
