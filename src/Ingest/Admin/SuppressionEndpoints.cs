using NpsTriggers.Core.Access;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;

namespace NpsTriggers.Ingest.Admin;

/// <summary>
/// Manual suppression entries for ops (<c>/api/suppressions</c>, API key from <c>Admin:ApiKeys</c> in
/// <c>X-Api-Key</c>): list, add, remove. Every send checks the list at send time, whatever put an entry there
/// (a STOP reply, a one-click unsubscribe, a 21610, or this API).
/// </summary>
public static partial class SuppressionEndpoints
{
    public sealed record Suppression(string Channel, string Address, string Reason, DateTimeOffset CreatedAt);

    public sealed record NewSuppression(string? Channel, string? Address, string? Reason);

    public static IEndpointRouteBuilder MapSuppressionsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/suppressions").RequireKey(KeyPolicies.Admin);
        group.MapGet("/", ListAsync);
        group.MapPost("/", AddAsync);
        group.MapDelete("/{channel}/{address}", RemoveAsync);
        return app;
    }

    private static async Task<Ok<List<Suppression>>> ListAsync(string? channel, string? address, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select channel, address, reason, created_at from suppressions
            where (@channel::text is null or channel = @channel) and (@address::text is null or address in (@address, 'sha256:' || encode(sha256(convert_to(@address, 'UTF8')), 'hex')))
            order by created_at desc limit 500
            """);
        command.Parameters.Add(new NpgsqlParameter("channel", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)channel ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("address", NpgsqlTypes.NpgsqlDbType.Text) { Value = address is null ? DBNull.Value : Normalise(channel ?? "email", address) });
        var list = new List<Suppression>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            list.Add(new Suppression(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        return TypedResults.Ok(list);
    }

    private static async Task<Results<Created<Suppression>, ValidationProblem>> AddAsync(NewSuppression body, NpgsqlDataSource dataSource,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (body.Channel is not ("email" or "sms"))
            errors["channel"] = ["channel is email or sms."];
        else if (string.IsNullOrWhiteSpace(body.Address)
                 || (body.Channel == "email" ? !Email().IsMatch(body.Address.Trim()) : !E164().IsMatch(body.Address.Trim())))
            errors["address"] = [body.Channel == "email" ? "address must be an email address." : "address must be an E.164 phone number (+4915112345678)."];
        if (string.IsNullOrWhiteSpace(body.Reason))
            errors["reason"] = ["say why (e.g. 'asked by phone')."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var entry = new Suppression(body.Channel!, Normalise(body.Channel!, body.Address!), body.Reason!.Trim(), time.GetUtcNow());
        await using var command = dataSource.CreateCommand("""
            insert into suppressions (channel, address, reason, created_at) values (@channel, @address, @reason, @now)
            on conflict (channel, address) do update set reason = excluded.reason
            """);
        command.Parameters.AddWithValue("channel", entry.Channel);
        command.Parameters.AddWithValue("address", entry.Address);
        command.Parameters.AddWithValue("reason", "manual: " + entry.Reason);
        command.Parameters.AddWithValue("now", entry.CreatedAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return TypedResults.Created($"/api/suppressions/{entry.Channel}/{Uri.EscapeDataString(entry.Address)}", entry with { Reason = "manual: " + entry.Reason });
    }

    private static async Task<Results<NoContent, NotFound>> RemoveAsync(string channel, string address, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("delete from suppressions where channel = @channel and address in (@address, 'sha256:' || encode(sha256(convert_to(@address, 'UTF8')), 'hex'))");
        command.Parameters.AddWithValue("channel", channel);
        command.Parameters.AddWithValue("address", Normalise(channel, address));
        return await command.ExecuteNonQueryAsync(cancellationToken) >= 1 ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    private static string Normalise(string channel, string address) => channel == "email" ? address.Trim().ToLowerInvariant() : address.Trim();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex Email();

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164();
}
