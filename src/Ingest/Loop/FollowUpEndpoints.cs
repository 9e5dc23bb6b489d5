using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using NpsTriggers.Core.Access;
using NpsTriggers.Core.Nps;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// <c>/api/follow-ups</c> (key from <c>Api:Keys</c>): list (by state, assignee, category), the overdue list,
/// assign and close. Every response is a task; its due date comes from its category (FollowUps options).
/// </summary>
public static class FollowUpEndpoints
{
    public sealed record Assignment(string? Assignee);

    public sealed record Closing(string? Note);

    public static IEndpointRouteBuilder MapFollowUpsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/follow-ups").RequireKey(KeyPolicies.Integration).DisableAntiforgery();
        group.MapGet("/", ListAsync);
        group.MapGet("/overdue", (string? assignee, FollowUpStore store, CancellationToken cancellationToken) =>
            ListAsync("open", assignee, null, overdue: true, limit: null, store, cancellationToken));
        group.MapGet("/{invitationId:guid}", GetAsync);
        group.MapPost("/{invitationId:guid}/assign", AssignAsync);
        group.MapPost("/{invitationId:guid}/close", CloseAsync);
        return app;
    }

    private static async Task<Results<Ok<List<FollowUp>>, ValidationProblem>> ListAsync(string? state, string? assignee, string? category,
        bool? overdue, int? limit, FollowUpStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (state is not (null or "open" or "closed"))
            errors["state"] = ["state is open or closed."];
        if (category is not null && !NpsSummary.IsCategory(category))
            errors["category"] = ["category is detractor, passive or promoter."];
        if (limit is < 1 or > 1000)
            errors["limit"] = ["limit is from 1 to 1000."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(await store.ListAsync(state, assignee, category, overdue ?? false, limit ?? 500, cancellationToken));
    }

    private static async Task<Results<Ok<FollowUp>, NotFound>> GetAsync(Guid invitationId, FollowUpStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(invitationId, cancellationToken) is { } task ? TypedResults.Ok(task) : TypedResults.NotFound();

    private static async Task<Results<Ok<FollowUp>, ValidationProblem, ProblemHttpResult>> AssignAsync(
        Guid invitationId, Assignment body, FollowUpStore store, CancellationToken cancellationToken)
    {
        var assignee = body.Assignee?.Trim();
        if (string.IsNullOrEmpty(assignee) || assignee.Length > 200)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["assignee"] = ["assignee is a name or id, at most 200 characters."] });
        var change = await store.AssignAsync(invitationId, assignee, cancellationToken);
        return Answer(change, invitationId, await store.GetAsync(invitationId, cancellationToken));
    }

    private static async Task<Results<Ok<FollowUp>, ValidationProblem, ProblemHttpResult>> CloseAsync(
        Guid invitationId, Closing? body, FollowUpStore store, CancellationToken cancellationToken)
    {
        var note = string.IsNullOrWhiteSpace(body?.Note) ? null : body.Note.Trim();
        if (note?.Length > 2000)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["note"] = ["note is at most 2000 characters."] });
        var change = await store.CloseAsync(invitationId, note, cancellationToken);
        return Answer(change, invitationId, await store.GetAsync(invitationId, cancellationToken));
    }

    private static Results<Ok<FollowUp>, ValidationProblem, ProblemHttpResult> Answer(FollowUpChange change, Guid invitationId, FollowUp? task) => change switch
    {
        FollowUpChange.Done => TypedResults.Ok(task!),
        FollowUpChange.NotFound => TypedResults.Problem(title: "Unknown follow-up", detail: $"No follow-up for invitation {invitationId}.",
            statusCode: StatusCodes.Status404NotFound),
        _ => TypedResults.Problem(title: "Follow-up closed", detail: $"The follow-up for invitation {invitationId} is already closed.",
            statusCode: StatusCodes.Status409Conflict),
    };
}
