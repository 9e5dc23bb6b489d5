using System.Text.Json;

namespace NpsTriggers.Ingest.Replies;

/// <summary>A response as the integration API shows it.</summary>
public sealed record ResponseView(Guid InvitationId, string Survey, string Channel, int Score, string Category, string? Comment,
    DateTimeOffset AnsweredAt, DateTimeOffset UpdatedAt, int Version, JsonElement Metadata);
