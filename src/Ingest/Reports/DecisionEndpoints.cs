using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;
using NpsTriggers.Core.Access;

namespace NpsTriggers.Ingest.Reports;

/// <summary>
/// <c>GET /api/decisions?customer=…|email=…|event=…[&amp;source=…]</c>: what each rule decided for a person or an event
/// and why — scheduled (with times), not matched (which condition), sampled out, throttled (by which invitation,
/// until when), cancelled (by which event), suppressed.
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
        string? customer, string? email, string? @event, string? source, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(customer) && string.IsNullOrWhiteSpace(email) && string.IsNullOrWhiteSpace(@event))
            return TypedResults.Problem(title: "Say whose decisions", statusCode: StatusCodes.Status400BadRequest,
                detail: "Give customer=<customer id>, email=<address> or event=<CloudEvent id> (optionally with source=<CloudEvent source>).");
        await using var command = dataSource.CreateCommand("""
            select at, event_source, event_id, event_type, rule, customer_id, invitation_id, outcome, detail
            from decisions
            where (@customer::text is null or customer_id = @customer)
              and (@email::text is null or lower(email) = lower(@email))
              and (@event::text is null or event_id = @event)
              and (@source::text is null or event_source = @source)
            order by at desc, id desc
            limit 500
            """);
        foreach (var (name, value) in new[] { ("customer", customer), ("email", email), ("event", @event), ("source", source) })
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
