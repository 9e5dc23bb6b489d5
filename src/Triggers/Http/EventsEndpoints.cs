using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Access;
using NpsTriggers.Core.Rules;
using NpsTriggers.Triggers.Events;
using NpsTriggers.Triggers.Intake;

namespace NpsTriggers.Triggers.Http;

/// <summary>
/// <c>POST /api/events</c>: the same CloudEvents as on Kafka, for producers without Kafka — one event
/// (<c>application/cloudevents+json</c>) or a batch of up to 100 (<c>application/cloudevents-batch+json</c>),
/// with a key of the <see cref="KeyPolicies.Events"/> policy. They go through the same parser, rules, inbox (idempotent
/// on source and id) and dead letters as Kafka records, in one transaction per request.
/// </summary>
public static class EventsEndpoints
{
    public sealed record Rejected(int Index, string Reason);

    public sealed record IntakeReport(int Received, int Accepted, int Skipped, IReadOnlyList<Rejected> Rejected);

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").MapPost("/events", PostAsync).DisableAntiforgery().RequireKey(KeyPolicies.Events);
        return app;
    }

    private static async Task<Results<Accepted<IntakeReport>, ProblemHttpResult>> PostAsync(
        HttpRequest request, IOptions<EventsApiOptions> options, RulesProvider rules, IntakePipeline pipeline, NpgsqlDataSource dataSource,
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var mediaType = (request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is not ("application/cloudevents+json" or "application/cloudevents-batch+json"))
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                "Send application/cloudevents+json (one event) or application/cloudevents-batch+json (a JSON array of events).");

        // Buffered (Kestrel bounds the size) so invalid UTF-8 is refused up front: the JSON reader would only trip
        // over it later, when a string is read.
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span))
            return Problem(StatusCodes.Status400BadRequest, "The body is not UTF-8", "CloudEvents in JSON are UTF-8 text; the body has invalid byte sequences.");
        JsonDocument body;
        try
        {
            body = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            return Problem(StatusCodes.Status400BadRequest, "The body is not JSON", e.Message);
        }
        using (body)
        {
            var items = mediaType == "application/cloudevents-batch+json"
                ? body.RootElement.ValueKind == JsonValueKind.Array ? [.. body.RootElement.EnumerateArray()] : null
                : new List<JsonElement> { body.RootElement };
            if (items is null)
                return Problem(StatusCodes.Status400BadRequest, "A batch is a JSON array", "application/cloudevents-batch+json takes a JSON array of events.");
            if (items.Count == 0 || items.Count > settings.MaxBatch)
                return Problem(StatusCodes.Status400BadRequest, "Batch size", $"Send 1 to {settings.MaxBatch} events per request; got {items.Count}.");

            var offsets = await OffsetsAsync(dataSource, items.Count, cancellationToken);
            var batch = new IntakeBatch();
            var rejected = new List<Rejected>();
            var current = rules.Current;
            for (var i = 0; i < items.Count; i++)
            {
                var raw = Encoding.UTF8.GetBytes(items[i].GetRawText());
                batch.Records++;
                var admission = pipeline.Add(batch, current, EventRecord.Structured(raw), IntakePipeline.HttpTopic, 0, offsets[i],
                    new RawRecord(null, null, raw), keepRaw: true);
                if (admission.Reason is { } reason)
                    rejected.Add(new Rejected(i, reason));
            }
            // One transaction; an event PostgreSQL refuses is found, dead-lettered and reported, and the others commit once.
            var committed = await pipeline.CommitAsync(batch, cancellationToken);
            foreach (var refusal in committed.Refused)
                rejected.Add(new Rejected(Array.IndexOf(offsets, refusal.Offset), refusal.Reason));
            rejected.Sort((a, b) => a.Index.CompareTo(b.Index));
            if (rejected.Count == items.Count)
                return TypedResults.Problem(title: "No event was usable", statusCode: StatusCodes.Status400BadRequest,
                    detail: rejected.Count == 1 ? $"The event was rejected and dead-lettered: {rejected[0].Reason}" : "Every event was rejected and dead-lettered; see errors.",
                    extensions: new Dictionary<string, object?> { ["errors"] = rejected });
            return TypedResults.Accepted((string?)null, new IntakeReport(items.Count, items.Count - rejected.Count - batch.Skipped, batch.Skipped, rejected));
        }
    }

    private static async Task<long[]> OffsetsAsync(NpgsqlDataSource dataSource, int count, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select nextval('http_intake_offset') from generate_series(1, @n)");
        command.Parameters.AddWithValue("n", count);
        var offsets = new List<long>(count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            offsets.Add(reader.GetInt64(0));
        return [.. offsets];
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: status);
}
