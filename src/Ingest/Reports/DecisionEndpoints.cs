using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;
using NpsTriggers.Core.Access;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.Ingest.Reports;

/// <summary>
/// <c>GET /api/decisions?customer=…|email=…|phone=…|event=…[&amp;source=…]</c>: what each rule decided for a person or an
/// event and why, from intake to the last reminder — every outcome word and its detail is in docs/RULES.md ("What the
/// decision log says"). A phone number is matched in E.164 (<see cref="PhoneLookup"/>).
/// </summary>
public static class DecisionEndpoints
{
    public sealed record Decision(DateTimeOffset At, string EventSource, string EventId, string EventType, string Rule,
        string? CustomerId, Guid? InvitationId, string Outcome, string Detail);

    public static IEndpointRouteBuilder MapDecisionsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").RequireKey(KeyPolicies.Admin).MapGet("/decisions", GetAsync);
        return app;
    }

    private static async Task<Results<Ok<List<Decision>>, ProblemHttpResult>> GetAsync(
        string? customer, string? email, string? phone, string? @event, string? source, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(customer) && string.IsNullOrWhiteSpace(email) && string.IsNullOrWhiteSpace(phone) && string.IsNullOrWhiteSpace(@event))
            return TypedResults.Problem(title: "Say whose decisions", statusCode: StatusCodes.Status400BadRequest,
                detail: "Give customer=<customer id>, email=<address>, phone=<E.164 number> or event=<CloudEvent id> (optionally with source=<CloudEvent source>).");
        var e164 = PhoneLookup.Normalise(phone);
        if (!string.IsNullOrWhiteSpace(phone) && e164 is null)
            return TypedResults.Problem(title: "Not a phone number", statusCode: StatusCodes.Status400BadRequest,
                detail: "Give phone= in E.164 form: + and 7 to 15 digits, e.g. +15551234567.");
        await using var command = dataSource.CreateCommand("""
            select at, event_source, event_id, event_type, rule, customer_id, invitation_id, outcome, detail
            from decisions
            where (@customer::text is null or customer_id = @customer)
              and (@email::text is null or lower(email) = lower(@email))
              and (@phone::text is null or phone = @phone)
              and (@event::text is null or event_id = @event)
              and (@source::text is null or event_source = @source)
            order by at desc, id desc
            limit 500
            """);
        foreach (var (name, value) in new[] { ("customer", customer), ("email", email), ("phone", e164), ("event", @event), ("source", source) })
            command.Parameters.Add(new NpgsqlParameter(name, NpgsqlTypes.NpgsqlDbType.Text) { Value = string.IsNullOrWhiteSpace(value) ? DBNull.Value : value });
        var decisions = new List<Decision>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            decisions.Add(new Decision(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetGuid(6),
                reader.GetString(7), reader.GetString(8)));
        return TypedResults.Ok(decisions);
    }
}
