using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// The alert body: Slack's incoming-webhook shape, <c>text</c> (the notification and fallback) plus Block Kit
/// <c>blocks</c> (https://api.slack.com/reference/block-kit/blocks). Other receivers (Teams via a workflow, an
/// internal tool) can read the same JSON; <see cref="FromEvent"/> keeps the raw fields out of the text too.
/// </summary>
public static class SlackMessage
{
    /// <summary>Builds the alert for one <c>nps.response.recorded</c> payload (the outbox row's data, UTF-8 JSON).</summary>
    public static JsonObject FromEvent(ReadOnlyMemory<byte> payload)
    {
        using var document = JsonDocument.Parse(payload);
        var data = document.RootElement;
        var score = data.GetProperty("score").GetInt32();
        var category = data.GetProperty("category").GetString()!;
        var survey = data.GetProperty("survey").GetString()!;
        var version = data.GetProperty("version").GetInt32();
        var comment = data.TryGetProperty("comment", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        var customer = data.TryGetProperty("customerId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        var label = char.ToUpperInvariant(category[0]) + category[1..];
        var headline = string.Create(CultureInfo.InvariantCulture,
            $"{label}: {score}/10 on survey {survey}{(version > 1 ? " (updated)" : "")}");

        var fields = new JsonArray(
            Field("Score", score.ToString(CultureInfo.InvariantCulture)),
            Field("Survey", survey),
            Field("Channel", data.GetProperty("channel").GetString() ?? ""),
            Field("Customer", customer ?? "unknown"));
        var blocks = new JsonArray(
            new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = headline } },
            new JsonObject { ["type"] = "section", ["fields"] = fields });
        if (comment is not null)
            blocks.Add(new JsonObject
            {
                ["type"] = "section",
                ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = "> " + Escape(comment).Replace("\n", "\n> ", StringComparison.Ordinal) },
            });
        var metadata = new StringBuilder();
        if (data.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
            foreach (var property in meta.EnumerateObject())
                metadata.Append(metadata.Length == 0 ? "" : " · ").Append(Escape(property.Name)).Append(": ")
                    .Append(Escape(property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText()));
        if (metadata.Length > 0)
            blocks.Add(new JsonObject
            {
                ["type"] = "context",
                ["elements"] = new JsonArray(new JsonObject { ["type"] = "mrkdwn", ["text"] = metadata.ToString() }),
            });

        return new JsonObject
        {
            ["text"] = headline + (comment is null ? "" : ": \u201C" + Escape(comment) + "\u201D"),
            ["blocks"] = blocks,
        };
    }

    private static JsonObject Field(string name, string value) =>
        new() { ["type"] = "mrkdwn", ["text"] = $"*{name}*\n{Escape(value)}" };

    /// <summary>Slack reads &amp;, &lt; and &gt; as control characters in text; customer text must not form links or mentions.</summary>
    public static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
