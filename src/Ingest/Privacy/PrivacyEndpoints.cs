using NpsTriggers.Core.Access;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace NpsTriggers.Ingest.Privacy;

/// <summary>
/// Data-subject requests (ops key): <c>GET /api/privacy/export?customerId=&amp;email=&amp;phone=</c> returns everything
/// stored about a person as JSON (<see cref="PersonExport"/>); <c>POST /api/privacy/erasures</c> with the same fields erases
/// it (<see cref="PersonEraser"/>).
/// </summary>
public static class PrivacyEndpoints
{
    public static IEndpointRouteBuilder MapPrivacyApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/privacy").RequireKey(KeyPolicies.Admin);
        group.MapGet("/export", ExportAsync);
        group.MapPost("/erasures", EraseAsync);
        return app;
    }

    private static async Task<Results<Ok<JsonObject>, ValidationProblem>> ExportAsync(string? customerId, string? email, string? phone,
        PersonExport export, CancellationToken cancellationToken)
    {
        var person = new PersonRef(customerId, email, phone);
        if (person.IsEmpty)
            return Missing();
        return TypedResults.Ok(await export.ExportAsync(person, cancellationToken));
    }

    private static async Task<Results<Ok<ErasureResult>, ValidationProblem>> EraseAsync(PersonRef person, PersonEraser eraser, CancellationToken cancellationToken)
    {
        if (person is null || person.IsEmpty)
            return Missing();
        return TypedResults.Ok(await eraser.EraseAsync(person, cancellationToken));
    }

    private static ValidationProblem Missing() => TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { ["person"] = ["Give at least one of customerId, email, phone."] }, title: "Who?");
}
