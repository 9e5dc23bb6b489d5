using NpsTriggers.Core.Access;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;
using NpsTriggers.Core.Nps;
using NpsTriggers.Core.Tokens;

namespace NpsTriggers.Ingest.Replies;

/// <summary>
/// <c>/api/responses</c> (key in <c>X-Api-Key</c>, from <c>Api:Keys</c>): other channels (a call centre, an app, a
/// kiosk) record answers to invitations, and analysts page through or export responses as JSON or CSV.
/// </summary>
public static partial class ResponseApiEndpoints
{
    public const int MaxComment = 2000;
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    /// <summary>The body of <c>POST /api/responses</c>: an invitation id or one of its survey tokens, and the answer.</summary>
    public sealed record NewResponse(Guid? InvitationId, string? Token, int? Score, string? Comment, string? Channel);

    /// <summary>One page; <see cref="NextCursor"/> is null on the last.</summary>
    public sealed record ResponsePage(IReadOnlyList<ResponseView> Items, string? NextCursor);

    public static IEndpointRouteBuilder MapResponsesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/responses").RequireKey(KeyPolicies.Integration).DisableAntiforgery();
        group.MapPost("/", PostAsync);
        group.MapGet("/", ListAsync);
        group.MapGet("/{invitationId:guid}", GetAsync);
        return app;
    }

    private static async Task<Results<Created<ResponseView>, ValidationProblem, ProblemHttpResult>> PostAsync(
        HttpContext context, SurveyLinks links, ApiResponseStore store, CancellationToken cancellationToken)
    {
        // The body is read here rather than bound by the framework, whose answer to malformed JSON is an empty 400;
        // clients get problem details saying what was wrong instead.
        if (!context.Request.HasJsonContentType())
            return Problem(StatusCodes.Status415UnsupportedMediaType, "JSON expected", "Send the response as application/json.");
        NewResponse? body;
        try
        {
            body = await context.Request.ReadFromJsonAsync<NewResponse>(cancellationToken);
        }
        catch (JsonException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [e.Path is { Length: > 1 } path ? path[2..] : "body"] = [e.Message] });
        }
        if (body is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON object is required."] });
        // Allocated only for a request that has something wrong with it.
        Dictionary<string, string[]>? errors = null;
        void Error(string field, string message) => (errors ??= [])[field] = [message];
        Guid invitationId = default;
        if (body.InvitationId.HasValue == (body.Token is not null))
            Error("invitationId", "Give either invitationId or token.");
        else if (body.InvitationId is { } given)
            invitationId = given;
        else
        {
            // The token only names the invitation here (its signature checked); whether the survey is still open is the
            // invitation's expires_at, checked in the recording transaction, so a replayed Idempotency-Key still replays.
            var error = links.Codec.TryDecode(body.Token!, DateTimeOffset.MinValue, out var decoded);
            if (error != TokenError.None)
                Error("token", "Not a valid survey token.");
            invitationId = decoded.InvitationId;
        }
        if (body.Score is not (>= 0 and <= 10))
            Error("score", "score is a whole number from 0 to 10.");
        var comment = string.IsNullOrWhiteSpace(body.Comment) ? null : body.Comment.Trim();
        if (comment?.Length > MaxComment)
            Error("comment", $"comment is at most {MaxComment} characters.");
        var channel = body.Channel?.Trim().ToLowerInvariant() ?? "api";
        if (!ChannelName().IsMatch(channel))
            Error("channel", "channel is a short lower-case name such as phone, app or kiosk.");
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length > 255)
            Error("Idempotency-Key", "Idempotency-Key is at most 255 characters.");
        if (errors is not null)
            return TypedResults.ValidationProblem(errors);

        var answer = new ApiResponseStore.ApiAnswer(invitationId, body.Score!.Value, comment, channel);
        // Keys are scoped by API client, so two clients choosing the same key do not see each other's answers.
        var scopedKey = key.Length == 0 ? null : $"{context.User.FindFirst(KeyPolicies.ClientClaim)?.Value}:{key}";
        var hash = scopedKey is null ? null : Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(answer)));
        var (outcome, response) = await store.RecordAsync(answer, scopedKey, hash, cancellationToken);
        switch (outcome)
        {
            case ApiRecordOutcome.Recorded:
                return TypedResults.Created($"/api/responses/{invitationId}", response!);
            case ApiRecordOutcome.Replayed:
                context.Response.Headers["Idempotent-Replayed"] = "true";
                return TypedResults.Created($"/api/responses/{invitationId}", response!);
            case ApiRecordOutcome.KeyReused:
                return Problem(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
                    "This Idempotency-Key was used with a different request body; use a new key for a new request.");
            case ApiRecordOutcome.Unknown:
                return Problem(StatusCodes.Status404NotFound, "Unknown invitation", $"No invitation {invitationId}.");
            case ApiRecordOutcome.Duplicate:
                return Problem(StatusCodes.Status409Conflict, "Already answered",
                    $"Invitation {invitationId} already has a response; see /api/responses/{invitationId}.");
            default:
                return Problem(StatusCodes.Status409Conflict, "Survey not open",
                    $"Invitation {invitationId} cannot be answered: it was not sent, or it expired, was cancelled or failed.");
        }
    }

    private static async Task<Results<Ok<ResponseView>, NotFound>> GetAsync(Guid invitationId, ApiResponseStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(invitationId, cancellationToken) is { } response ? TypedResults.Ok(response) : TypedResults.NotFound();

    private static async Task<Results<Ok<ResponsePage>, PushStreamHttpResult, ValidationProblem>> ListAsync(
        HttpRequest request, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var q = request.Query;
        var errors = new Dictionary<string, string[]>();
        var category = Text(q["category"]);
        if (category is not null && !NpsSummary.IsCategory(category))
            errors["category"] = ["category is detractor, passive or promoter."];
        var from = Time(q["from"], "from", errors);
        var to = Time(q["to"], "to", errors);
        (DateTimeOffset, Guid)? after = null;
        if (Text(q["cursor"]) is { } cursor)
        {
            if (ResponseQuery.TryParseCursor(cursor, out var parsed))
                after = parsed;
            else
                errors["cursor"] = ["Not a cursor from a previous page."];
        }
        var limit = DefaultPageSize;
        if (Text(q["limit"]) is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPageSize))
            errors["limit"] = [$"limit is from 1 to {MaxPageSize}."];
        var format = Text(q["format"])?.ToLowerInvariant()
                     ?? (request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)) ? "csv" : "json");
        if (format is not ("csv" or "json"))
            errors["format"] = ["format is json or csv."];
        // metadata.<field>=<value>, e.g. metadata.store=web-de: matches the attributes the send rule kept.
        var metadata = q.Where(p => p.Key.StartsWith("metadata.", StringComparison.Ordinal) && p.Key.Length > "metadata.".Length)
            .Select(p => KeyValuePair.Create(p.Key["metadata.".Length..], p.Value.ToString())).ToList();
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);

        var query = new ResponseQuery(Text(q["survey"]), Text(q["channel"]), category, from, to, metadata, after);
        if (format == "csv")
            return TypedResults.Stream(stream => WriteCsvAsync(stream, dataSource, query, Text(q["limit"]) is null ? null : limit, cancellationToken),
                "text/csv; charset=utf-8", "responses.csv");

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = query.ToCommand(connection, limit + 1);
        var items = new List<ResponseView>(limit + 1);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
                items.Add(ResponseQuery.Read(reader));
        // One row more than the page tells whether there is a next page without a count.
        var more = items.Count > limit;
        if (more)
            items.RemoveAt(limit);
        return TypedResults.Ok(new ResponsePage(items, more ? ResponseQuery.Cursor(items[^1]) : null));
    }

    private static async Task WriteCsvAsync(Stream stream, NpgsqlDataSource dataSource, ResponseQuery query, int? limit, CancellationToken cancellationToken)
    {
        // Streamed row by row: an export of every response never sits in memory.
        await using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        await writer.WriteAsync(ResponseCsv.Header + "\r\n");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = query.ToCommand(connection, limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            await writer.WriteAsync(ResponseCsv.Row(ResponseQuery.Read(reader)));
    }

    private static string? Text(Microsoft.Extensions.Primitives.StringValues value) =>
        string.IsNullOrWhiteSpace(value.ToString()) ? null : value.ToString().Trim();

    private static DateTimeOffset? Time(Microsoft.Extensions.Primitives.StringValues value, string name, Dictionary<string, string[]> errors)
    {
        if (Text(value) is not { } text)
            return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            return parsed;
        errors[name] = [$"'{text}' is not a date or an ISO 8601 timestamp."];
        return null;
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: status);

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,31}$")]
    private static partial Regex ChannelName();
}
