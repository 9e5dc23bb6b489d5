using System.ComponentModel.DataAnnotations;
using NpsTriggers.Core.Access;

namespace NpsTriggers.Triggers.Http;

/// <summary>HTTP intake for producers without Kafka. Section <c>EventsApi</c>.</summary>
public sealed class EventsApiOptions : IValidatableObject
{
    /// <summary>
    /// API keys accepted in the <c>X-Api-Key</c> header (policy <see cref="KeyPolicies.Events"/>), each at least
    /// <see cref="ApiKeyRules.MinLength"/> characters. Keep them in a secret.
    /// </summary>
    /// <value>Empty by default, which turns <c>POST /api/events</c> off (404).</value>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Largest batch accepted in one request.</summary>
    /// <value>100.</value>
    public int MaxBatch { get; set; } = 100;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        ApiKeyRules.Validate("EventsApi:ApiKeys", ApiKeys, nameof(ApiKeys));
}
